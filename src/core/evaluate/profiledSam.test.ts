/**
 * ProfiledSam (profiledSam.ts) with onnxruntime-node: in a fast profile an allocation's masks are the
 * downloaded file's, bit for bit, not the simulation's; `exact` is the simulation; full precision is
 * shared; files of the last `keep` allocations stay open. On the demo SAM and on MobileSAM (authors' export).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrate, prepareSam, promptFeeds, type PreparedSam, type SamModelFiles } from '../analysis/analysisModel';
import { runPromptRuns } from '../analysis/promptRuns';
import { toOrtFeeds, type OrtFeeds, type OrtModule, type OrtSession } from '../onnx/ort';
import type { Allocation } from '../quant/config';
import { generateScene } from '../synth/scene';
import { checkDeployed } from './deployedCheck';
import { evaluationItems, type EvaluationItem } from './evaluationItems';
import { ProfiledSam } from './profiledSam';
import { buildSamParametric, QuantizedSam, type SamRunner } from './quantizedSam';
import { exportQuantizedSam } from './samExport';
import { imageFromFile } from '../../../tools/analyzeInputs';
import type { RgbaImage } from '../image/rgbaImage';

const ortModule = ort as unknown as OrtModule;
const bytesAt = (url: URL) => new Uint8Array(readFileSync(url));
const demoDir = new URL('../../../public/models/demo-sam/', import.meta.url);
const mobileSamDir = new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url);
const mobileSamPresent = existsSync(new URL('encoder.onnx', mobileSamDir));

interface Setup {
  sam: PreparedSam;
  item: EvaluationItem;
  simulation: QuantizedSam;
  fpFileBytes: { encoder: number; decoder: number };
  mixed: Allocation;
}

async function setup(files: SamModelFiles, image: RgbaImage): Promise<Setup> {
  const sam = prepareSam(files);
  const [item] = evaluationItems([{ name: 'calibration', image, truth: [] }], 3, 4);
  const parametric = buildSamParametric(sam, await calibrate({ ort: ortModule, sam, items: [item] }), [4, 8]);
  const simulation = await QuantizedSam.create(ortModule, sam, parametric);
  const mixed = Object.fromEntries(sam.probedUnits.map((unit, i) => [unit.id, i % 3 === 0 ? 8 : 4]));
  return { sam, item, simulation, fpFileBytes: { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength }, mixed };
}

/** Low-res mask logits of the item's prompts through a runner. */
async function logitsOf(runner: SamRunner, item: EvaluationItem, allocation: Allocation | null): Promise<Float32Array> {
  const image = toOrtFeeds(ortModule, runner.sam.adapter.encoderFeeds(item.image));
  const outputs = await runner.decode(await runner.embed(image, allocation), promptFeeds(ortModule, runner.sam, item), allocation);
  return (outputs[runner.sam.lowResOutput].data as Float32Array).slice();
}

/** The same through freshly opened sessions of the files the export writes (what a user downloads). */
async function logitsOfFiles(s: Setup, allocation: Allocation): Promise<Float32Array> {
  const written = exportQuantizedSam(s.sam, s.simulation.parametric, allocation, s.fpFileBytes, { profile: 'fast-cpu' });
  const sessions: OrtSession[] = [];
  try {
    const encoder = await ortModule.InferenceSession.create(written.encoder.bytes, {});
    sessions.push(encoder);
    const decoder = await ortModule.InferenceSession.create(written.decoder.bytes, {});
    sessions.push(decoder);
    const image = toOrtFeeds(ortModule, s.sam.adapter.encoderFeeds(s.item.image));
    const feeds: OrtFeeds = Object.fromEntries(encoder.inputNames.map((name) => [name, image[name]]));
    const embedded = await encoder.run(feeds);
    const embeddings = Object.fromEntries(s.sam.adapter.embeddingNames.map((name) => [name, embedded[name]]));
    const outputs = await runPromptRuns(ortModule, decoder, promptFeeds(ortModule, s.sam, s.item), embeddings);
    return (outputs[s.sam.lowResOutput].data as Float32Array).slice();
  } finally {
    for (const session of sessions) await session.release();
  }
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i])), 0);

describe('ProfiledSam on the demo SAM', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ encoder: bytesAt(new URL('encoder.onnx', demoDir)), decoder: bytesAt(new URL('decoder.onnx', demoDir)), config: { inputSize: 256, lowResSize: 64 } }, { width: 256, height: 256, data: generateScene(4, { size: 256 }).rgba });
  }, 120_000);
  afterAll(() => s?.simulation.release());

  it('runs a fast profile as its file does, exact as the simulation, and full precision on the simulation', async () => {
    const writes: string[] = [];
    const fast = new ProfiledSam(s.simulation, 'fast-cpu', { sessionOptions: {}, fpFileBytes: s.fpFileBytes, onWrite: (profile) => writes.push(profile) });
    const exact = new ProfiledSam(s.simulation, 'exact', { sessionOptions: {}, fpFileBytes: s.fpFileBytes, onWrite: (profile) => writes.push(profile) });
    try {
      const simulated = await logitsOf(s.simulation, s.item, s.mixed);
      const viaFast = await logitsOf(fast, s.item, s.mixed);
      const file = await logitsOfFiles(s, s.mixed);
      expect(viaFast).toHaveLength(file.length);
      expect(maxAbsDiff(viaFast, file)).toBe(0);
      // The fast kernels are not the simulation (A4 sites read on 8-bit grids): the preview must follow the file.
      expect(maxAbsDiff(viaFast, simulated)).toBeGreaterThan(1e-2);
      expect(maxAbsDiff(await logitsOf(exact, s.item, s.mixed), simulated)).toBe(0);
      expect(maxAbsDiff(await logitsOf(fast, s.item, null), await logitsOf(s.simulation, s.item, null))).toBe(0);
      // One file pair written, for the fast profile's one allocation; exact and FP wrote none.
      expect(writes).toEqual(['fast-cpu']);
    } finally {
      await fast.release();
      await exact.release();
    }
  }, 120_000);

  it('keeps the files of the last `keep` allocations and writes an evicted one again', async () => {
    const writes: string[] = [];
    const fast = new ProfiledSam(s.simulation, 'fast-cpu', { sessionOptions: {}, fpFileBytes: s.fpFileBytes, keep: 2, onWrite: () => writes.push('w') });
    const uniform = (bits: number) => Object.fromEntries(s.sam.probedUnits.map((unit) => [unit.id, bits]));
    try {
      for (const allocation of [uniform(8), s.mixed, uniform(8), uniform(4), uniform(8), s.mixed]) await logitsOf(fast, s.item, allocation);
      // W8, mixed, (W8 kept), W4 evicts mixed, (W8 kept), mixed again evicts W4: 4 writes.
      expect(writes).toHaveLength(4);
    } finally {
      await fast.release();
    }
    await expect(logitsOf(fast, s.item, s.mixed)).rejects.toThrow(/released/);
  }, 120_000);

  it('the deployed check of a fast file against its profile’s preview agrees on every prompt, and says how far it is from the simulation', async () => {
    const fast = new ProfiledSam(s.simulation, 'fast-cpu', { sessionOptions: {}, fpFileBytes: s.fpFileBytes });
    try {
      const written = exportQuantizedSam(s.sam, s.simulation.parametric, s.mixed, s.fpFileBytes, { profile: 'fast-cpu' });
      const check = await checkDeployed(fast, { encoder: written.encoder.bytes, decoder: written.decoder.bytes }, s.mixed, s.item, { simulation: s.simulation });
      console.info(`fast-cpu file: vs its preview ${check.miou.toFixed(3)}; vs the exact simulation ${JSON.stringify(check.vsSimulation)}`);
      expect(check.iouByPrompt.every((iou) => iou === 1)).toBe(true);
      expect(check.vsSimulation).not.toBeNull();
      expect(check.vsSimulation!.miou).toBeLessThan(1);
      const plain = await checkDeployed(s.simulation, { encoder: written.encoder.bytes, decoder: written.decoder.bytes }, s.mixed, s.item, { simulation: s.simulation });
      expect(plain.vsSimulation).toBeNull();
      expect(plain.miou).toBeCloseTo(check.vsSimulation!.miou, 9);
    } finally {
      await fast.release();
    }
  }, 120_000);
});

describe.skipIf(!mobileSamPresent)('ProfiledSam on MobileSAM (the authors’ export, fixed prompt batch)', () => {
  it('previews the fast-cpu file’s masks bit for bit', async () => {
    const photo = await imageFromFile(fileURLToPath(new URL('../../../../shared/data/images/dog.jpg', import.meta.url)));
    const s = await setup({ encoder: bytesAt(new URL('encoder.onnx', mobileSamDir)), decoder: bytesAt(new URL('decoder.onnx', mobileSamDir)) }, photo.image);
    const fast = new ProfiledSam(s.simulation, 'fast-cpu', { sessionOptions: {}, fpFileBytes: s.fpFileBytes, keep: 1 });
    try {
      const viaFast = await logitsOf(fast, s.item, s.mixed);
      expect(maxAbsDiff(viaFast, await logitsOfFiles(s, s.mixed))).toBe(0);
      expect(maxAbsDiff(viaFast, await logitsOf(s.simulation, s.item, s.mixed))).toBeGreaterThan(0);
    } finally {
      await fast.release();
      await s.simulation.release();
    }
  }, 240_000);
});
