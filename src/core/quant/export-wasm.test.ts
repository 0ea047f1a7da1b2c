/**
 * The exported file against the simulation under onnxruntime-web's wasm backend (the same wasm the
 * studio runs; onnxruntime-web also runs in Node). The WebGPU check needs a browser (e2e).
 */
import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import { decodeModel } from '../onnx/proto.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { buildParametricModel } from './parametric.ts';
import { discoverUnits } from './units.ts';
import { createReferenceSession, verifyExport } from './verify.ts';

ortWeb.env.wasm.numThreads = 1;
const web = ortWeb as unknown as OrtModule;

describe('export ≡ simulation on onnxruntime-web (wasm)', () => {
  it('demo decoder, mixed W3–8/A3–8 allocation', async () => {
    const model = decodeModel(readFileSync(new URL('../../../public/models/demo-sam/decoder.onnx', import.meta.url)));
    const units = discoverUnits(model);
    const feeds = (seed: number): OrtFeeds => ({
      image_embeddings: new ortWeb.Tensor('float32', new Float32Array(128 * 256).map((_, i) => Math.sin(i * 0.013 * seed) * 1.5), [1, 128, 16, 16]),
      point_coords: new ortWeb.Tensor('float32', Float32Array.from([30 + seed, 40, 180, 190 + seed]), [1, 2, 2]),
      point_labels: new ortWeb.Tensor('float32', Float32Array.from([2, 3]), [1, 2]),
      mask_input: new ortWeb.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
      has_mask_input: new ortWeb.Tensor('float32', Float32Array.from([0]), [1]),
      orig_im_size: new ortWeb.Tensor('float32', Float32Array.from([256, 256]), [2]),
    }) as OrtFeeds;
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
