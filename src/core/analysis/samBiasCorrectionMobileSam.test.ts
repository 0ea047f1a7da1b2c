/**
 * Bias correction on MobileSAM's decoder exported by its authors (random seeded weights), on a natural
 * photo: the corrected W4A4 export equals its simulation bit for bit, and the units without a bias slot
 * are reported with their reason.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { imageFromFile } from '../../../tools/analyzeInputs';
import { encodeModelBytes } from '../onnx/proto';
import { toOrtFeeds, type OrtModule } from '../onnx/ort';
import { allocationToConfig } from '../quant/config';
import { exportQuantizedModel } from '../quant/export';
import { buildParametricModel } from '../quant/parametric';
import { createReferenceSession, verifyExport } from '../quant/verify';
import { calibrate, imageFeeds, parametricOptionsOf, prepareSam, promptFeeds } from './analysisModel';
import { samBiasStats } from './samBiasCorrection';

const fixture = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
const photo = fileURLToPath(new URL('../../../../shared/data/images/dog.jpg', import.meta.url));
const present = existsSync(`${fixture}decoder.onnx`) && existsSync(photo);
if (!present) console.log('MobileSAM fixture not found at ../shared/fixtures/mobilesam-random: its bias-correction test is skipped.');
const ortModule = ort as unknown as OrtModule;

describe.skipIf(!present)('bias correction on MobileSAM from its authors', () => {
  it('exports the corrected W4A4 decoder as it simulates it', { timeout: 900_000 }, async () => {
    const files = { encoder: new Uint8Array(await readFile(`${fixture}encoder.onnx`)), decoder: new Uint8Array(await readFile(`${fixture}decoder.onnx`)) };
    const sam = prepareSam(files);
    const dog = await imageFromFile(photo);
    const items = [{ image: dog.image, prompts: [{ kind: 'point' as const, x: 300, y: 250, positive: true }, { kind: 'point' as const, x: 120, y: 200, positive: true }] }];
    const facts = await calibrate({ ort: ortModule, sam, items });
    const units = sam.probedUnits.filter((u) => u.graph === 'decoder');
    const bias = await samBiasStats({ ort: ortModule, sam, items, units, activationBits: [4], facts });
    const weightUnits = units.filter((u) => u.kind === 'weight');
    console.info(`MobileSAM decoder bias correction: ${bias.stats.size}/${weightUnits.length} weight units; skipped: ${bias.skipped.map((s) => `${s.unitId} (${s.reason})`).join('; ') || 'none'}`);
    expect(bias.stats.size).toBeGreaterThan(weightUnits.length / 2);
    for (const skip of bias.skipped) expect(skip.reason.length).toBeGreaterThan(0);

    const parametric = buildParametricModel(sam.decoder, units, { ...parametricOptionsOf(facts, [4]), biasCorrection: { stats: bias.stats, activationBits: [4] } });
    const config = allocationToConfig(Object.fromEntries(units.map((u) => [u.id, 4])), units);
    const encoder = await ort.InferenceSession.create(encodeModelBytes(sam.encoder));
    const embedding = await encoder.run(imageFeeds(ortModule, sam, dog.image));
    await encoder.release();
    const inputs = { ...promptFeeds(ortModule, sam, items[0]).runs[0], ...Object.fromEntries(sam.adapter.embeddingNames.map((n) => [n, embedding[n]])) };
    const simulation = await createReferenceSession(ortModule, parametric.bytes);
    try {
      const feeds = toOrtFeeds(ortModule, parametric.feedsFor(config));
      const exported = exportQuantizedModel(sam.decoder, units, config, { simulation: parametric, ranges: facts.ranges, log2Tau: facts.log2Tau });
      const result = await verifyExport(ortModule, { session: simulation, feeds }, exported.bytes, inputs);
      console.info(`MobileSAM decoder W4A4 with bias correction: export vs simulation max |Δ| = ${result.maxAbsError}`);
      expect(Object.values(result.perOutput).some((o) => o.range > 0)).toBe(true);
      expect(result.maxAbsError).toBe(0);
      const uncorrected = exportQuantizedModel(sam.decoder, units, config, { simulation: { ...parametric, biasCorrection: null }, ranges: facts.ranges, log2Tau: facts.log2Tau });
      expect((await verifyExport(ortModule, { session: simulation, feeds }, uncorrected.bytes, inputs)).maxAbsError).toBeGreaterThan(0);
    } finally {
      await simulation.release();
    }
  });
});
