/**
 * Outlier migration on the demo SAM's and MobileSAM's encoders (real onnxruntime-node sessions): the
 * rewritten graphs compute the same outputs in FP, and the migrated units' outputs lose less to W4A4 /
 * W6A6 quantization (per-channel MSE weights, per-tensor uniform activations, quantizers.ts) on the
 * calibration images. The decoder: decoderRewrites.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrtFeeds, OrtModule } from '../onnx/ort.ts';
import { decodeModel, encodeModel } from '../onnx/proto.ts';
import { encoderInput } from '../synth/sam-input.ts';
import { generateScene } from '../synth/scene.ts';
import { collectMigrationStats, migrateOutliers, type MigrationStats } from './migrate.ts';
import { maxRelativeOutputDifference, quantizedUnitError } from './rewriteMeasures.ts';
import { discoverUnits } from './units.ts';

const ortModule = ort as unknown as OrtModule;
const demo = (file: string) => decodeModel(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));
const DEMO_SPEC = { inputSize: 256, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const ALPHAS = [0.5, 0.75];

/** Encoder inputs of procedural scenes (the demo model's kind of image). */
function sceneFeeds(seeds: readonly number[]): OrtFeeds[] {
  return seeds.map((seed) => {
    const scene = generateScene(seed, { size: 256 });
    return { input_image: new ort.Tensor('float32', encoderInput(scene.rgba, scene.width, scene.height, DEMO_SPEC), [1, 3, 256, 256]) };
  });
}

describe('outlier migration on the demo encoder', () => {
  const model = demo('encoder.onnx');
  const calibrationFeeds = sceneFeeds([500_101, 500_102, 500_103]);
  let stats: MigrationStats;

  beforeAll(async () => {
    stats = await collectMigrationStats(ortModule, model, calibrationFeeds);
  }, 120_000);

  it('migrates every LayerNorm before a qkv or MLP input, the windowed blocks through their reshapes, and the neck LayerNorm2d before its Conv', () => {
    const { report } = migrateOutliers(model, stats, { alpha: 0.5 });
    const migrated = report.migrated.flatMap((site) => site.units);
    for (let block = 0; block < 6; block++) expect(migrated).toEqual(expect.arrayContaining([`/blocks.${block}/attn/qkv/MatMul`, `/blocks.${block}/mlp/lin1/MatMul`]));
    expect(migrated).toContain('/neck/neck.2/Conv');
    expect(migrated).toHaveLength(13);
    expect(report.skipped).toEqual([{ source: '/neck/neck.3/Div', reason: '"image_embeddings" is a graph output' }]);
    for (const site of report.migrated) expect(site.outlierRatio.after).toBeLessThan(site.outlierRatio.before);
  });

  it('leaves the input model untouched and computes the same embeddings in FP (α 0.5 and 0.75)', async () => {
    const before = Buffer.from(encodeModel(model).model);
    for (const alpha of ALPHAS) {
      const rewritten = migrateOutliers(model, stats, { alpha }).model;
      const difference = await maxRelativeOutputDifference(ortModule, model, rewritten, sceneFeeds([500_201]));
      console.info(`demo encoder, α ${alpha}: FP max relative difference ${difference.toExponential(2)}`);
      expect(difference).toBeLessThan(1e-5);
    }
    expect(Buffer.compare(Buffer.from(encodeModel(model).model), before)).toBe(0);
  }, 120_000);

  it('lowers the migrated qkv and MLP lin1 units’ quantized output error on the calibration images (W4A4, W6A6)', async () => {
    // The 12 qkv and MLP lin1 MatMuls (the neck Conv's FP equality is covered above; its error is not measured here).
    const matmuls = new Set(discoverUnits(model).filter((unit) => unit.op === 'MatMul').map((unit) => unit.nodeName));
    const units = migrateOutliers(model, stats, { alpha: 0.5 }).report.migrated.flatMap((site) => site.units).filter((name) => matmuls.has(name));
    expect(units).toHaveLength(12);
    const widths = [4, 6];
    // Every second token row: the 2-core budget; the rows of tokens are alike.
    const baseline = await quantizedUnitError(ortModule, model, units, calibrationFeeds, widths, { rowStride: 2 });
    for (const alpha of ALPHAS) {
      const migrated = await quantizedUnitError(ortModule, migrateOutliers(model, stats, { alpha }).model, units, calibrationFeeds, widths, { rowStride: 2 });
      widths.forEach((bits, b) => {
        const change = (1 - migrated[b] / baseline[b]) * 100;
        console.info(`demo encoder W${bits}A${bits}, ${units.length} units: relative squared output error ${baseline[b].toExponential(3)} → ${migrated[b].toExponential(3)} with α ${alpha} (${change.toFixed(1)} % less)`);
        expect(migrated[b]).toBeLessThan(baseline[b]);
      });
    }
  }, 600_000);
});

const mobileSam = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
const mobileSamPresent = existsSync(`${mobileSam}encoder.onnx`);

describe.skipIf(!mobileSamPresent)('outlier migration on MobileSAM (TinyViT)', () => {
  it('migrates the attention and MLP LayerNorms of every TinyViT block and the neck, and computes the same embeddings in FP', async () => {
    const model = decodeModel(readFileSync(`${mobileSam}encoder.onnx`));
    const image = (phase: number) => new Float32Array(3 * 1024 * 1024).map((_, i) => 2 * Math.sin(i * 0.0011 + phase) + Math.cos((i % 1024) * 0.02 * (phase + 1)));
    const feeds = [0, 1].map((phase) => ({ input_image: new ort.Tensor('float32', image(phase), [1, 3, 1024, 1024]) }));
    const stats = await collectMigrationStats(ortModule, model, feeds.slice(0, 1));
    const { model: rewritten, report } = migrateOutliers(model, stats, { alpha: 0.5 });
    expect(report.migrated.filter((site) => site.pattern === 'LayerNormalization')).toHaveLength(20);
    expect(report.migrated.filter((site) => site.pattern === 'decomposed').map((site) => site.units)).toEqual([['/neck/neck.2/Conv']]);
    const difference = await maxRelativeOutputDifference(ortModule, model, rewritten, [feeds[1]]);
    console.info(`MobileSAM encoder, α 0.5: FP max relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-5);
  }, 300_000);
});
