/**
 * The exported file against the simulation under onnxruntime-web's wasm backend (the same wasm the
 * studio runs; onnxruntime-web also runs in Node). The WebGPU check needs a browser (e2e).
 */
import { readFileSync } from 'node:fs';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import { countOf, countOpTypes } from '../onnx/opCounts.ts';
import { decodeModel } from '../onnx/proto.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { buildParametricModel } from './parametric.ts';
import { discoverUnits } from './units.ts';
import { createReferenceSession, verifyExport } from './verify.ts';

ortWeb.env.wasm.numThreads = 1;
const web = ortWeb as unknown as OrtModule;

const decoderFeeds = (seed: number): OrtFeeds =>
  ({
    image_embeddings: new ortWeb.Tensor('float32', new Float32Array(128 * 256).map((_, i) => Math.sin(i * 0.013 * seed) * 1.5), [1, 128, 16, 16]),
    point_coords: new ortWeb.Tensor('float32', Float32Array.from([30 + seed, 40, 180, 190 + seed]), [1, 2, 2]),
    point_labels: new ortWeb.Tensor('float32', Float32Array.from([2, 3]), [1, 2]),
    mask_input: new ortWeb.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
    has_mask_input: new ortWeb.Tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: new ortWeb.Tensor('float32', Float32Array.from([256, 256]), [2]),
  }) as OrtFeeds;

describe('export ≡ simulation on onnxruntime-web (wasm)', () => {
  it('demo decoder, mixed W3–8/A3–8 allocation', async () => {
    const model = decodeModel(readFileSync(new URL('../../../public/models/demo-sam/decoder.onnx', import.meta.url)));
    const units = discoverUnits(model);
    const feeds = decoderFeeds;
    const ranges = await calibrate(web, model, units, [feeds(1), feeds(2)]);
    const widths = [3, 4, 5, 6, 8];
    const allocation = Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, widths[i % widths.length]]));
    const config = allocationToConfig(allocation, units);
    const parametric = buildParametricModel(model, units, { ranges, weightBits: widths });
    const simulation = await createReferenceSession(web, parametric.bytes);
    const exported = exportQuantizedModel(model, units, config, { ranges, simulation: parametric });
    const result = await verifyExport(web, { session: simulation, feeds: toOrtFeeds(web, parametric.feedsFor(config)) }, exported.bytes, feeds(3));
    console.info(`wasm decoder export vs simulation: ${JSON.stringify(result.perOutput.low_res_masks)}`);
    expect(result.perOutput.low_res_masks.relativeError).toBeLessThanOrEqual(1e-3);
    expect(result.maxAbsError).toBe(0);
    await simulation.release();
  }, 120_000);
});

const encoderFeeds = (seed: number): OrtFeeds => ({
  input_image: new ortWeb.Tensor('float32', Float32Array.from({ length: 3 * 256 * 256 }, (_, i) => Math.sin(i * 0.0007 * seed + seed) + Math.cos((i % 256) * 0.05 * seed)), [1, 3, 256, 256]),
});

describe.each([
  { graph: 'encoder', output: 'image_embeddings', feeds: encoderFeeds, tolerance: 0.02 },
  { graph: 'decoder', output: 'low_res_masks', feeds: decoderFeeds, tolerance: 0.08 },
])('fast-cpu export of the demo $graph on onnxruntime-web (wasm, default options)', ({ graph, output, feeds, tolerance }) => {
  it('mixed W3–8/A3–8: the file holds integer kernels, loads and runs, and agrees with onnxruntime-node', async () => {
    const model = decodeModel(readFileSync(new URL(`../../../public/models/demo-sam/${graph}.onnx`, import.meta.url)));
    const units = discoverUnits(model);
    const ranges = await calibrate(web, model, units, [feeds(1)]);
    const widths = [3, 4, 6, 8];
    const allocation = Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, widths[i % widths.length]]));
    const exported = exportQuantizedModel(model, units, allocationToConfig(allocation, units), { ranges, profile: 'fast-cpu' });
    const inFile = countOpTypes(decodeModel(exported.bytes));
    expect(countOf(inFile, 'MatMulNBits')).toBeGreaterThan(0);
    expect(countOf(inFile, 'MatMulIntegerToFloat')).toBeGreaterThan(0);
    const wasm = await ortWeb.InferenceSession.create(exported.bytes);
    const node = await ortNode.InferenceSession.create(exported.bytes);
    const inputs = feeds(3);
    const nodeInputs = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, new ortNode.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]));
    const a = (await wasm.run(inputs))[output].data as Float32Array;
    const b = (await node.run(nodeInputs))[output].data as Float32Array;
    let max = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < a.length; i++) {
      max = Number.isNaN(a[i]) ? Infinity : Math.max(max, Math.abs(a[i] - b[i]));
      lo = Math.min(lo, b[i]);
      hi = Math.max(hi, b[i]);
    }
    console.info(`fast-cpu ${graph} wasm vs node: max |Δ| ${max}, range ${hi - lo}`);
    // Measured max |Δ| / range: encoder 0.7 %, decoder 3.8 % (the two builds' kernels round differently and a
    // flipped activation code spreads through the decoder's layers).
    expect(max / (hi - lo)).toBeLessThan(tolerance);
    await wasm.release();
    await node.release();
  }, 120_000);
});
