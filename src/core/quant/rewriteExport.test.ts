/**
 * The migrated encoder and the BIG decoder go through the project's quantization path like any model:
 * the export of a mixed allocation equals the fake-quant simulation bit for bit (REFERENCE_SESSION_OPTIONS)
 * and holds the same ops as the export of the original graph: the rewrites live in the weights only.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { countOpTypes } from '../onnx/opCounts.ts';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import { decodeModel, type ModelProto } from '../onnx/proto.ts';
import { encoderInput } from '../synth/sam-input.ts';
import { generateScene } from '../synth/scene.ts';
import { applyBig, collectBigStats } from './big.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { collectMigrationStats, migrateOutliers } from './migrate.ts';
import { buildParametricModel } from './parametric.ts';
import { discoverUnits } from './units.ts';
import { createReferenceSession, verifyExport } from './verify.ts';

const ortModule = ort as unknown as OrtModule;
const demoFile = (file: string) => readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url));
const DEMO_SPEC = { inputSize: 256, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const WIDTHS = [3, 4, 5, 6, 8];

function imageFeeds(seed: number): OrtFeeds {
  const scene = generateScene(seed, { size: 256 });
  return { input_image: new ort.Tensor('float32', encoderInput(scene.rgba, scene.width, scene.height, DEMO_SPEC), [1, 3, 256, 256]) };
}

async function decoderFeeds(seed: number): Promise<OrtFeeds> {
  const encoder = await ort.InferenceSession.create(new Uint8Array(demoFile('encoder.onnx')));
  const embeddings = (await encoder.run(imageFeeds(seed))).image_embeddings;
  await encoder.release();
  return {
    image_embeddings: embeddings,
    point_coords: new ort.Tensor('float32', Float32Array.from([30 + seed % 40, 40, 200, 180]), [1, 2, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.from([2, 3]), [1, 2]),
    mask_input: new ort.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
    has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: new ort.Tensor('float32', Float32Array.from([256, 256]), [2]),
  };
}

/** Export of a mixed allocation vs its simulation, and the exported file's op counts. */
async function exportCheck(model: ModelProto, calibration: readonly OrtFeeds[], inputs: OrtFeeds): Promise<{ maxAbsError: number; ops: Record<string, number> }> {
  const units = discoverUnits(model);
  const ranges = await calibrate(ortModule, model, units, calibration);
  const allocation = Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, WIDTHS[i % WIDTHS.length]]));
  const config = allocationToConfig(allocation, units);
  const parametric = buildParametricModel(model, units, { ranges, weightBits: WIDTHS });
  const simulation = await createReferenceSession(ortModule, parametric.bytes);
  try {
    const exported = exportQuantizedModel(model, units, config, { ranges, simulation: parametric });
    const result = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, parametric.feedsFor(config)) }, exported.bytes, inputs);
    return { maxAbsError: result.maxAbsError, ops: countOpTypes(decodeModel(exported.bytes)) };
  } finally {
    await simulation.release();
  }
}

describe('export of the rewritten demo SAM', () => {
  it('migrated encoder: export ≡ simulation, same ops as the original export', async () => {
    const model = decodeModel(demoFile('encoder.onnx'));
    const calibration = [imageFeeds(500_101), imageFeeds(500_102)];
    const migrated = migrateOutliers(model, await collectMigrationStats(ortModule, model, calibration), { alpha: 0.5 }).model;
    const [original, rewritten] = [await exportCheck(model, calibration, imageFeeds(700_001)), await exportCheck(migrated, calibration, imageFeeds(700_001))];
    expect(rewritten.maxAbsError).toBe(0);
    expect(rewritten.ops).toEqual(original.ops);
  }, 300_000);

  it('BIG decoder: export ≡ simulation, same ops as the original export', async () => {
    const model = decodeModel(demoFile('decoder.onnx'));
    const calibration = [await decoderFeeds(500_101), await decoderFeeds(500_102)];
    const { model: rewritten, report } = applyBig(model, await collectBigStats(ortModule, model, calibration));
    expect(report.some((r) => r.applied)).toBe(true);
    const inputs = await decoderFeeds(700_001);
    const [original, withBig] = [await exportCheck(model, calibration, inputs), await exportCheck(rewritten, calibration, inputs)];
    expect(withBig.maxAbsError).toBe(0);
    expect(withBig.ops).toEqual(original.ops);
  }, 300_000);
});
