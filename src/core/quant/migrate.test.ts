/**
 * Outlier migration on the demo SAM and on MobileSAM (real onnxruntime-node sessions): the rewritten
 * graphs compute the same outputs in FP, and the migrated units' outputs lose less to W4A4 / W6A6
 * quantization (per-channel MSE weights, per-tensor uniform activations, quantizers.ts) on the
 * calibration images.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldWeight } from '../onnx/fold.ts';
import { GraphIndex } from '../onnx/graph.ts';
import type { OrtFeeds, OrtModule } from '../onnx/ort.ts';
import { decodeModel, encodeModel, encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { encoderInput } from '../synth/sam-input.ts';
import { generateScene } from '../synth/scene.ts';
import { calibrate } from './calibration.ts';
import { siteKey } from './config.ts';
import { collectMigrationStats, migrateOutliers, type MigrationStats } from './migrate.ts';
import { findMigrationSites } from './migrationSites.ts';
import { activationParams, fakeQuantArray, fakeQuantWeight, weightParams } from './quantizers.ts';
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

async function runOutputs(model: ModelProto, feeds: OrtFeeds): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(encodeModelBytes(model));
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** max |a − b| / max |a| over every float output. */
async function maxRelativeDifference(original: ModelProto, rewritten: ModelProto, feeds: OrtFeeds): Promise<number> {
  const [a, b] = await Promise.all([runOutputs(original, feeds), runOutputs(rewritten, feeds)]);
  let worst = 0;
  for (const [name, expected] of Object.entries(a)) {
    if (!(expected instanceof Float32Array)) continue;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < expected.length; i++) {
      diff = Math.max(diff, Math.abs(expected[i] - b[name][i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

/**
 * Σ‖x·W − Q(x)·Q(W)‖² / Σ‖x·W‖² over the named units and feeds, for each width: activations per tensor on
 * the range calibrate() gives (mean min-max), weights per output channel (MSE clip search), both at `bits`.
 * Every second token row enters the sums (the 2-core budget; the rows are alike).
 */
async function unitOutputError(model: ModelProto, nodeNames: readonly string[], feeds: readonly OrtFeeds[], widths: readonly number[]): Promise<number[]> {
  const units = discoverUnits(model).filter((u) => nodeNames.includes(u.nodeName));
  expect(units.length).toBe(nodeNames.length);
  const ranges = await calibrate(ortModule, model, units, feeds);
  const index = new GraphIndex(model.graph!);
  const session = await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, units.map((u) => u.activationInputs[0]))));
  const error = widths.map(() => 0);
  let energy = 0;
  try {
    for (const feed of feeds) {
      const results = await session.run(feed);
      for (const unit of units) {
        const weight = foldWeight(index, unit.weight!.value, unit.nodeName);
        const [k, n] = weight.dims;
        const x = everySecondRow(results[unit.activationInputs[0]].data as Float32Array, k);
        const exact = matmul(x, weight.data, k, n);
        for (const y of exact) energy += y * y;
        widths.forEach((bits, b) => {
          const axis = unit.weight!.channelAxis;
          const quantizedWeight = fakeQuantWeight(weight.data, weight.dims, axis, weightParams(weight.data, weight.dims, axis, bits));
          const range = ranges[siteKey(unit.id, 0)];
          const quantized = matmul(fakeQuantArray(x, activationParams(range.min, range.max, bits)), quantizedWeight, k, n);
          for (let i = 0; i < exact.length; i++) error[b] += (exact[i] - quantized[i]) ** 2;
        });
      }
    }
  } finally {
    await session.release();
  }
  return error.map((e) => e / energy);
}

function everySecondRow(x: Float32Array, k: number): Float32Array {
  const rows = Math.ceil(x.length / k / 2);
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) out.set(x.subarray(2 * r * k, (2 * r + 1) * k), r * k);
  return out;
}

/** [rows, k] · [k, n] in float64. */
function matmul(x: Float32Array, w: Float32Array, k: number, n: number): Float64Array {
  const rows = x.length / k;
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      const a = x[r * k + i];
      if (a === 0) continue;
      const row = i * n;
      const base = r * n;
      for (let j = 0; j < n; j++) out[base + j] += a * w[row + j];
    }
  }
  return out;
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
    expect(report.skipped).toEqual([{ norm: '/neck/neck.3/Div', reason: '"image_embeddings" is a graph output' }]);
    for (const site of report.migrated) expect(site.outlierRatio.after).toBeLessThan(site.outlierRatio.before);
  });

  it('leaves the input model untouched and computes the same embeddings in FP (α 0.5 and 0.75)', async () => {
    const before = Buffer.from(encodeModel(model).model);
    for (const alpha of ALPHAS) {
      const rewritten = migrateOutliers(model, stats, { alpha }).model;
      const difference = await maxRelativeDifference(model, rewritten, sceneFeeds([500_201])[0]);
      console.info(`demo encoder, α ${alpha}: FP max relative difference ${difference.toExponential(2)}`);
      expect(difference).toBeLessThan(1e-5);
    }
    expect(Buffer.compare(Buffer.from(encodeModel(model).model), before)).toBe(0);
  }, 120_000);

  it('lowers the migrated units’ quantized output error on the calibration images (W4A4, W6A6)', async () => {
    const units = migrateOutliers(model, stats, { alpha: 0.5 }).report.migrated.flatMap((site) => site.units);
    const widths = [4, 6];
    const baseline = await unitOutputError(model, units, calibrationFeeds, widths);
    for (const alpha of ALPHAS) {
      const migrated = await unitOutputError(migrateOutliers(model, stats, { alpha }).model, units, calibrationFeeds, widths);
      widths.forEach((bits, b) => {
        const change = (1 - migrated[b] / baseline[b]) * 100;
        console.info(`demo encoder W${bits}A${bits}, ${units.length} units: relative squared output error ${baseline[b].toExponential(3)} → ${migrated[b].toExponential(3)} with α ${alpha} (${change.toFixed(1)} % less)`);
        expect(migrated[b]).toBeLessThan(baseline[b]);
      });
    }
  }, 600_000);
});

describe('outlier migration on the demo decoder', () => {
  it('finds no LayerNorm to fold into: each feeds a residual Add, the final norm a Gather, the LayerNorm2d a GELU', () => {
    const { sites, skipped } = findMigrationSites(demo('decoder.onnx'));
    expect(sites).toEqual([]);
    expect(skipped).toHaveLength(12);
    for (const skip of skipped) expect(skip.reason).toMatch(/^it also feeds (Add|Gather|Div) ".*", not a weight unit$/);
  });
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
    const difference = await maxRelativeDifference(model, rewritten, feeds[1]);
    console.info(`MobileSAM encoder, α 0.5: FP max relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-5);
  }, 300_000);
});
