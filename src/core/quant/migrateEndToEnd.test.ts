/**
 * Outlier migration end to end on the demo encoder: the image embedding of held-out scenes under
 * uniform W4A4 / W6A6 (every unit quantized by default, the project's parametric fake-quant session
 * with ranges from calibrate()) moves less from FP once the LayerNorms are migrated.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import { decodeModel, type ModelProto } from '../onnx/proto.ts';
import { encoderInput } from '../synth/sam-input.ts';
import { generateScene } from '../synth/scene.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig } from './config.ts';
import { collectMigrationStats, migrateOutliers } from './migrate.ts';
import { buildParametricModel, PARAMETRIC_SESSION_OPTIONS } from './parametric.ts';
import { discoverUnits } from './units.ts';

const ortModule = ort as unknown as OrtModule;
const DEMO_SPEC = { inputSize: 256, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const WIDTHS = [4, 6];

function sceneFeeds(seeds: readonly number[]): OrtFeeds[] {
  return seeds.map((seed) => {
    const scene = generateScene(seed, { size: 256 });
    return { input_image: new ort.Tensor('float32', encoderInput(scene.rgba, scene.width, scene.height, DEMO_SPEC), [1, 3, 256, 256]) };
  });
}

/** Σ‖e − ê‖² / Σ‖e‖² of the image embedding over the held-out feeds, per uniform width. */
async function embeddingError(model: ModelProto, calibration: readonly OrtFeeds[], heldOut: readonly OrtFeeds[]): Promise<number[]> {
  const units = discoverUnits(model);
  const parametric = buildParametricModel(model, units, { ranges: await calibrate(ortModule, model, units, calibration), weightBits: WIDTHS });
  const session = await ort.InferenceSession.create(parametric.bytes, PARAMETRIC_SESSION_OPTIONS);
  try {
    const errors: number[] = [];
    for (const bits of WIDTHS) {
      const config = allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u) => [u.id, bits])), units);
      let error = 0;
      let energy = 0;
      for (const feed of heldOut) {
        const fp = (await session.run({ ...feed, ...toOrtFeeds(ortModule, parametric.feedsFor({})) })).image_embeddings.data as Float32Array;
        const quantized = (await session.run({ ...feed, ...toOrtFeeds(ortModule, parametric.feedsFor(config)) })).image_embeddings.data as Float32Array;
        fp.forEach((v, i) => {
          error += (v - quantized[i]) ** 2;
          energy += v * v;
        });
      }
      errors.push(error / energy);
    }
    return errors;
  } finally {
    await session.release();
  }
}

describe('outlier migration end to end', () => {
  it('lowers the held-out embedding error of the demo encoder at uniform W4A4 and W6A6 (α 0.5 and 0.75)', async () => {
    const model = decodeModel(readFileSync(new URL('../../../public/models/demo-sam/encoder.onnx', import.meta.url)));
    const calibration = sceneFeeds([500_101, 500_102, 500_103, 500_104]);
    const heldOut = sceneFeeds([700_001, 700_002, 700_003]);
    const stats = await collectMigrationStats(ortModule, model, calibration);
    const baseline = await embeddingError(model, calibration, heldOut);
    for (const alpha of [0.5, 0.75]) {
      const migrated = await embeddingError(migrateOutliers(model, stats, { alpha }).model, calibration, heldOut);
      WIDTHS.forEach((bits, b) => {
        console.info(`demo encoder uniform W${bits}A${bits}, held-out embedding relative squared error ${baseline[b].toExponential(3)} → ${migrated[b].toExponential(3)} with α ${alpha} (${((1 - migrated[b] / baseline[b]) * 100).toFixed(1)} % less)`);
        expect(migrated[b]).toBeLessThan(baseline[b]);
      });
    }
  }, 300_000);
});
