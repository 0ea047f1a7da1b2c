/**
 * GPTQ on a SAM the project did not make: MobileSAM exported by its authors' code (TinyViT encoder with
 * Conv+BN, depthwise convolutions, windowed attention; random seeded weights), on a natural photo. The
 * Hessians' units are found in its graph, the rounding lowers the weights' error, and the export equals the
 * simulation bit for bit.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { imageFromFile } from '../../../tools/analyzeInputs';
import { toOrtFeeds, type OrtModule } from '../onnx/ort';
import { exportQuantizedModel } from '../quant/export';
import { buildParametricModel, type ParametricModel } from '../quant/parametric';
import { createReferenceSession, verifyExport } from '../quant/verify';
import { imageFeeds, prepareSam } from './analysisModel';
import { samGptq } from './samGptq';

const fixture = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
const photo = fileURLToPath(new URL('../../../../shared/data/images/dog.jpg', import.meta.url));
const present = existsSync(`${fixture}encoder.onnx`) && existsSync(photo);
if (!present) console.log('MobileSAM fixture not found at ../shared/fixtures/mobilesam-random: its GPTQ test is skipped.');
const ortModule = ort as unknown as OrtModule;

describe.skipIf(!present)('GPTQ on MobileSAM from its authors', () => {
  it('rounds its MatMul and one-group Conv units, cuts the W4 weights-only error, and exports what it simulates', { timeout: 900_000 }, async () => {
    const files = { encoder: new Uint8Array(await readFile(`${fixture}encoder.onnx`)), decoder: new Uint8Array(await readFile(`${fixture}decoder.onnx`)) };
    const sam = prepareSam(files);
    const dog = await imageFromFile(photo);
    const items = [{ image: dog.image, prompts: [{ kind: 'point' as const, x: 300, y: 250, positive: true }] }];
    const gptq = await samGptq({ ort: ortModule, sam, items, units: sam.probedUnits, widths: [4] });
    const encoderUnits = sam.probedUnits.filter((u) => u.graph === 'encoder');
    const weightUnits = encoderUnits.filter((u) => u.kind === 'weight');
    const kept = gptq.nearest.map((id) => sam.probedUnits.find((u) => u.id === id)!);
    console.info(`MobileSAM GPTQ: ${gptq.units.length} units rounded, ${kept.length} kept nearest (${[...new Set(kept.map((u) => u.op))].join(', ')}); Hessians ${gptq.timings.hessiansMs} ms, rounding ${gptq.timings.roundingMs} ms`);
    // Only the depthwise (grouped) convolutions are left to nearest rounding.
    expect(weightUnits.filter((u) => gptq.weights.has(u.id)).length).toBeGreaterThan(weightUnits.length / 2);
    expect(kept.every((u) => u.op === 'Conv')).toBe(true);

    const config = Object.fromEntries(weightUnits.map((u) => [u.id, { wBits: 4, aBits: null }]));
    const nearest = buildParametricModel(sam.encoder, encoderUnits, { weightBits: [4] });
    const rounded = buildParametricModel(sam.encoder, encoderUnits, { weightBits: [4], roundedWeights: gptq.weights });
    const inputs = imageFeeds(ortModule, sam, dog.image);
    const relativeError = async (parametric: ParametricModel, fp: Float32Array | null) => {
      const session = await ort.InferenceSession.create(parametric.bytes);
      try {
        const y = (await session.run({ ...inputs, ...toOrtFeeds(ortModule, parametric.feedsFor(fp ? config : {})) })).image_embeddings.data as Float32Array;
        if (!fp) return { y, error: 0 };
        return { y, error: y.reduce((sum, v, i) => sum + (v - fp[i]) ** 2, 0) / fp.reduce((sum, v) => sum + v * v, 0) };
      } finally {
        await session.release();
      }
    };
    const fp = (await relativeError(nearest, null)).y;
    const [rtn, withGptq] = [(await relativeError(nearest, fp)).error, (await relativeError(rounded, fp)).error];
    console.info(`MobileSAM encoder W4 weights only, relative embedding error: nearest ${rtn.toExponential(3)}, GPTQ ${withGptq.toExponential(3)}`);
    expect(withGptq).toBeLessThan(rtn / 2);

    const simulation = await createReferenceSession(ortModule, rounded.bytes);
    try {
      const exported = exportQuantizedModel(sam.encoder, encoderUnits, config, { simulation: rounded });
      const result = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, rounded.feedsFor(config)) }, exported.bytes, inputs);
      expect(result.perOutput.image_embeddings.range).toBeGreaterThan(0);
      expect(result.maxAbsError).toBe(0);
    } finally {
      await simulation.release();
    }
  });
});
