/**
 * The export check of an encoder too large to be held twice (checkedExport.ts checksOneEncoderAtATime):
 * on MobileSAM (its authors' export, ../shared/fixtures/mobilesam-random), with onnxruntime-node sessions
 * counted as they are opened and released. A decoder-only analysis keeps the encoder as the original model
 * (no parametric encoder), the file ships it unchanged and the check does not run it a second time; with
 * the encoder quantized, the check still holds one encoder session at a time. The check's answers are
 * those of the plain path (same verification, same masks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { ANALYSE_ALONE_ENCODER_BYTES } from '../analysis/analysisCost';
import { calibrate, prepareSam, type CalibrationFacts, type PreparedSam } from '../analysis/analysisModel';
import { toOrtFeeds, type OrtModule, type OrtSession, type SessionOptions } from '../onnx/ort';
import { encodeModelBytes } from '../onnx/proto';
import type { Allocation } from '../quant/config';
import type { GraphKind } from '../quant/units';
import { imageFromFile } from '../../../tools/analyzeInputs';
import { checkedExport, checksOneEncoderAtATime, type CheckedExportArgs } from './checkedExport';
import { evaluationItems, type EvaluationItem } from './evaluationItems';
import { buildSamParametric, graphsOfScope, QuantizedSam } from './quantizedSam';
import { exportQuantizedSam } from './samExport';

const fixture = new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url);
const photo = new URL('../../../../shared/data/images/dog.jpg', import.meta.url);
const present = existsSync(new URL('encoder.onnx', fixture)) && existsSync(photo);
if (!present) console.log('largeEncoderCheck.test: ../shared/fixtures/mobilesam-random or ../shared/data/images/dog.jpg is absent: skipped');

/** onnxruntime-node with every encoder session (one that returns image embeddings) counted while it is open. */
function countingOrt(embeddingName: string) {
  const real = ort as unknown as OrtModule;
  const counts = { live: 0, peak: 0, opened: 0 };
  const create = async (bytes: Uint8Array, options?: SessionOptions): Promise<OrtSession> => {
    const session = await real.InferenceSession.create(bytes, options ?? {});
    if (!session.outputNames.includes(embeddingName)) return session;
    counts.opened++;
    counts.live++;
    counts.peak = Math.max(counts.peak, counts.live);
    const release = session.release.bind(session);
    let open = true;
    session.release = async () => {
      if (open) counts.live--;
      open = false;
      await release();
    };
    return session;
  };
  const module = { ...real, InferenceSession: { ...real.InferenceSession, create } } as unknown as OrtModule;
  return { module, counts };
}

let sam: PreparedSam;
let facts: CalibrationFacts;
let item: EvaluationItem;
let fileBytes: { encoder: number; decoder: number };

beforeAll(async () => {
  if (!present) return;
  const files = { encoder: new Uint8Array(readFileSync(new URL('encoder.onnx', fixture))), decoder: new Uint8Array(readFileSync(new URL('decoder.onnx', fixture))) };
  fileBytes = { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength };
  sam = prepareSam(files);
  [item] = evaluationItems([{ name: 'dog.jpg', image: (await imageFromFile(fileURLToPath(photo))).image, truth: [] }], 3, 4);
  facts = await calibrate({ ort: ort as unknown as OrtModule, sam, items: [item] });
}, 300_000);

/** Every unit of `graphs` at 8 bits (the rest at full precision). */
function allocationOf(graphs: readonly GraphKind[]): Allocation {
  return Object.fromEntries(sam.probedUnits.filter((unit) => graphs.includes(unit.graph)).map((unit) => [unit.id, 8]));
}

/**
 * The studio's sequence: the page's preview sessions are open, suspended when the check holds one encoder
 * at a time (quant.worker.ts), then the check. `large` makes the caller report an encoder file of the
 * size from which the studio analyses alone; otherwise MobileSAM's own size.
 */
async function studioExport(graphs: readonly GraphKind[], large: boolean) {
  const { module, counts } = countingOrt(sam.adapter.embeddingNames[0]);
  const parametric = buildSamParametric(sam, facts, [4, 8], { graphs });
  const preview = await QuantizedSam.create(module, sam, parametric);
  const fpFileBytes = { ...fileBytes, encoder: large ? Math.max(fileBytes.encoder, ANALYSE_ALONE_ENCODER_BYTES) : fileBytes.encoder };
  if (checksOneEncoderAtATime(fpFileBytes.encoder)) await preview.suspend();
  const args: CheckedExportArgs = {
    ort: module,
    sam,
    parametric,
    allocation: allocationOf(graphs),
    fpFileBytes,
    profile: 'exact',
    item,
    sessionOptions: {},
    queue: (work) => work(),
    step: async () => {},
  };
  const result = await checkedExport(args);
  const after = { ...counts };
  await preview.release();
  return { result, counts: after, preview };
}

describe.skipIf(!present)('the export check of a large encoder (MobileSAM)', () => {
  it('a decoder-only analysis builds no parametric encoder: the file ships the encoder unchanged', () => {
    const parametric = buildSamParametric(sam, facts, [4, 8], { graphs: graphsOfScope('decoder') });
    expect(parametric.encoder).toBeNull();
    expect(parametric.decoder).not.toBeNull();
    const exported = exportQuantizedSam(sam, parametric, allocationOf(['decoder']), fileBytes);
    expect(exported.encoder.unchanged).toBe(true);
    expect(exported.decoder.unchanged).toBe(false);
    expect(Buffer.from(exported.encoder.bytes).equals(Buffer.from(encodeModelBytes(sam.encoder)))).toBe(true);
    // With both graphs, the same allocation writes the encoder through the export pass.
    expect(exportQuantizedSam(sam, buildSamParametric(sam, facts, [4, 8]), allocationOf(['decoder']), fileBytes).encoder.unchanged).toBe(false);
  }, 120_000);

  it('decoder-only: one encoder session at a time, the unchanged encoder not run twice, same answers as the plain check', async () => {
    const plain = await studioExport(graphsOfScope('decoder'), false);
    const large = await studioExport(graphsOfScope('decoder'), true);
    console.log(`decoder-only check: encoder sessions open at once ${plain.counts.peak} (plain) vs ${large.counts.peak} (large), opened ${plain.counts.opened} vs ${large.counts.opened}`);
    expect(plain.counts.peak).toBeGreaterThanOrEqual(2);
    expect(large.counts.peak).toBe(1);
    expect(large.counts.live).toBe(0);
    expect(large.result.verification.encoderShared).toBe(true);
    expect(plain.result.verification.encoderShared).toBe(true);
    expect(large.result.verification.endToEnd.maxAbsError).toBe(0);
    expect(large.result.verification.maxAbsErrorAllOutputs).toBe(0);
    expect(large.result.verification).toEqual(plain.result.verification);
    expect(large.result.deployed.iouByPrompt).toEqual(plain.result.deployed.iouByPrompt);
    expect(large.result.deployed.miouFp).toEqual(plain.result.deployed.miouFp);
    // Not timed: that would hold the FP encoder beside the file.
    expect(large.result.deployed.latency).toBeNull();
    expect(plain.result.deployed.latency).not.toBeNull();
  }, 300_000);

  it('encoder quantized too: one encoder session at a time, the file run and equal to the simulation', async () => {
    const large = await studioExport(graphsOfScope('all'), true);
    console.log(`full check (large): encoder sessions open at once ${large.counts.peak}, opened ${large.counts.opened}`);
    expect(large.counts.peak).toBe(1);
    expect(large.result.verification.encoderShared).toBe(false);
    expect(large.result.verification.encoder.maxAbsError).toBe(0);
    expect(large.result.verification.endToEnd.maxAbsError).toBe(0);
    // The suspended preview opens its sessions again on its next run.
    expect(large.preview.holdsSessions).toBe(false);
  }, 300_000);

  it('a suspended simulation gives the same outputs when it runs again', async () => {
    const parametric = buildSamParametric(sam, facts, [4, 8]);
    const runner = await QuantizedSam.create(ort as unknown as OrtModule, sam, parametric);
    try {
      const imageFeeds = toOrtFeeds(ort as unknown as OrtModule, sam.adapter.encoderFeeds(item.image));
      const first = await runner.embed(imageFeeds, allocationOf(['encoder']));
      await runner.suspend();
      expect(runner.holdsSessions).toBe(false);
      const again = await runner.embed(imageFeeds, allocationOf(['encoder']));
      expect(runner.holdsSessions).toBe(true);
      const name = sam.adapter.embeddingNames[0];
      expect(Buffer.from((again[name].data as Float32Array).buffer).equals(Buffer.from((first[name].data as Float32Array).buffer))).toBe(true);
    } finally {
      await runner.release();
    }
    await expect(runner.embed({}, null)).rejects.toThrow(/released/);
  }, 300_000);
});
