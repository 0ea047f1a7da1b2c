/**
 * The decoder's rewrites on the demo SAM and on MobileSAM's (Meta's) decoder, in real onnxruntime-node
 * sessions: BIG in the token→image attentions and outlier migration across the MLPs' ReLU. The rewritten
 * decoder computes the same masks in FP, and the rewritten units lose less to A4 / A6 (q·kᵀ) and W4A4 /
 * W6A6 (MLP lin2) quantization on the calibration prompts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrtFeeds, OrtModule } from '../onnx/ort.ts';
import { decodeModel } from '../onnx/proto.ts';
import { encoderInput } from '../synth/sam-input.ts';
import { generateScene } from '../synth/scene.ts';
import { applyBig, collectBigStats, findBigCandidates, type BigStats } from './big.ts';
import { collectMigrationStats, migrateOutliers, type MigrationStats } from './migrate.ts';
import { findMigrationSites } from './migrationSites.ts';
import { maxRelativeOutputDifference, quantizedUnitError } from './rewriteMeasures.ts';

const ortModule = ort as unknown as OrtModule;
const demoFile = (file: string) => readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url));
const DEMO_SPEC = { inputSize: 256, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };

/** Decoder inputs for each object of procedural scenes: a box prompt and a point prompt (with its padding point). */
async function demoDecoderFeeds(seeds: readonly number[]): Promise<OrtFeeds[]> {
  const encoder = await ort.InferenceSession.create(new Uint8Array(demoFile('encoder.onnx')));
  const feeds: OrtFeeds[] = [];
  try {
    for (const seed of seeds) {
      const scene = generateScene(seed, { size: 256 });
      const image = new ort.Tensor('float32', encoderInput(scene.rgba, scene.width, scene.height, DEMO_SPEC), [1, 3, 256, 256]);
      const embeddings = (await encoder.run({ input_image: image })).image_embeddings;
      for (const object of scene.objects) {
        if (!object.box) continue;
        const [x0, y0, x1, y1] = object.box;
        const prompts = [
          { coords: [x0, y0, x1 + 1, y1 + 1], labels: [2, 3] },
          { coords: [(x0 + x1) / 2, (y0 + y1) / 2, 0, 0], labels: [1, -1] },
        ];
        for (const prompt of prompts) feeds.push(decoderFeeds(embeddings, prompt.coords, prompt.labels, 64, 256));
      }
    }
  } finally {
    await encoder.release();
  }
  return feeds;
}

function decoderFeeds(embeddings: ort.Tensor, coords: number[], labels: number[], maskSide: number, imageSide: number): OrtFeeds {
  return {
    image_embeddings: embeddings,
    point_coords: new ort.Tensor('float32', Float32Array.from(coords), [1, labels.length, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, labels.length]),
    mask_input: new ort.Tensor('float32', new Float32Array(maskSide * maskSide), [1, 1, maskSide, maskSide]),
    has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: new ort.Tensor('float32', Float32Array.from([imageSide, imageSide]), [2]),
  };
}

const TOKEN_TO_IMAGE = ['/transformer/layers.0/cross_attn_token_to_image/MatMul', '/transformer/layers.1/cross_attn_token_to_image/MatMul', '/transformer/final_attn_token_to_image/MatMul'];
const MLP_LIN2 = ['/transformer/layers.0/mlp/lin2/MatMul', '/transformer/layers.1/mlp/lin2/MatMul'];

describe('BIG and outlier migration on the demo decoder', () => {
  const model = decodeModel(demoFile('decoder.onnx'));
  let feeds: OrtFeeds[];
  let stats: BigStats;
  let migrationStats: MigrationStats;

  beforeAll(async () => {
    feeds = await demoDecoderFeeds([500_101, 500_102, 500_103]);
    stats = await collectBigStats(ortModule, model, feeds);
    migrationStats = await collectMigrationStats(ortModule, model, feeds);
  }, 120_000);

  it('folds the sign into the three token→image attentions only, and keeps the masks in FP', async () => {
    expect(findBigCandidates(model).length).toBeGreaterThan(3); // self and image→token attentions are candidates too
    const { model: rewritten, report } = applyBig(model, stats);
    console.info(
      report
        .map((r) => `${r.attention}: ${r.flipped}/${r.channels} channels flipped, k range [${r.kRange.before.map((v) => v.toFixed(2))}] → [${r.kRange.after.map((v) => v.toFixed(2))}], q range [${r.qRange.before.map((v) => v.toFixed(2))}] → [${r.qRange.after.map((v) => v.toFixed(2))}], ${r.applied ? 'applied' : 'not applied: ' + r.reason}`)
        .join('\n'),
    );
    expect(report.map((r) => r.attention)).toEqual(TOKEN_TO_IMAGE);
    const difference = await maxRelativeOutputDifference(ortModule, model, rewritten, feeds.slice(0, 4));
    console.info(`demo decoder with BIG: FP max relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-6);
  }, 120_000);

  it('measures the token→image q·kᵀ error under A4 / A6 quantization with and without BIG', async () => {
    const { model: rewritten, report } = applyBig(model, stats);
    const attentions = report.map((r) => r.attention);
    const widths = [4, 6];
    const [before, after] = [await quantizedUnitError(ortModule, model, attentions, feeds, widths), await quantizedUnitError(ortModule, rewritten, attentions, feeds, widths)];
    widths.forEach((bits, b) => {
      console.info(`demo decoder token→image q·kᵀ at A${bits}: relative squared error ${before[b].toExponential(3)} → ${after[b].toExponential(3)} with BIG (${((1 - after[b] / before[b]) * 100).toFixed(1)} % less)`);
      if (report.some((r) => r.applied)) expect(after[b]).toBeLessThan(before[b]);
      else expect(after[b]).toBe(before[b]);
    });
  }, 300_000);

  it('migrates across the MLPs’ ReLU into lin1 and lin2 when asked (every LayerNorm feeds a residual Add), keeping the masks in FP', async () => {
    const { sites, skipped } = findMigrationSites(model);
    expect(sites.map((site) => [site.pattern, site.consumers.map((c) => c.node.name)])).toEqual(MLP_LIN2.map((name) => ['linear-relu', [name]]));
    const norms = skipped.filter((skip) => /norm/.test(skip.source));
    expect(norms).toHaveLength(9);
    for (const skip of norms) expect(skip.reason).toMatch(/^it also feeds (Add|Gather) ".*", not a weight unit$/);
    expect(skipped.filter((skip) => skip.source.endsWith('Relu')).every((skip) => /follows Gemm/.test(skip.reason))).toBe(true);
    for (const alpha of [0.5, 0.75]) {
      const { model: rewritten, report } = migrateOutliers(model, migrationStats, { alpha, patterns: ['linear-relu'] });
      expect(report.migrated.map((site) => site.units)).toEqual(MLP_LIN2.map((name) => [name]));
      const difference = await maxRelativeOutputDifference(ortModule, model, rewritten, feeds.slice(0, 4));
      console.info(`demo decoder, MLP migration α ${alpha}: FP max relative difference ${difference.toExponential(2)}`);
      expect(difference).toBeLessThan(1e-5);
    }
  }, 120_000);

  it('leaves the MLPs alone by default: migration across the ReLU does not lower the lin2 W4A4 error here', async () => {
    const byDefault = migrateOutliers(model, migrationStats, { alpha: 0.5 });
    expect(byDefault.report.migrated).toEqual([]);
    expect(byDefault.report.skipped.filter((skip) => skip.reason === 'migration across a linear-relu source is not asked for').map((skip) => skip.source)).toEqual([
      '/transformer/layers.0/mlp/act/Relu',
      '/transformer/layers.1/mlp/act/Relu',
    ]);
    const widths = [4, 6];
    const before = await quantizedUnitError(ortModule, model, MLP_LIN2, feeds, widths);
    for (const alpha of [0.5, 0.75]) {
      const after = await quantizedUnitError(ortModule, migrateOutliers(model, migrationStats, { alpha, patterns: ['linear-relu'] }).model, MLP_LIN2, feeds, widths);
      widths.forEach((bits, b) => {
        console.info(`demo decoder MLP lin2 at W${bits}A${bits}: relative squared output error ${before[b].toExponential(3)} → ${after[b].toExponential(3)} with α ${alpha} across the ReLU`);
      });
      expect(after[0]).toBeGreaterThan(before[0]);
    }
  }, 300_000);
});

const mobileSam = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));

describe.skipIf(!existsSync(`${mobileSam}decoder.onnx`))('BIG and MLP migration on MobileSAM’s decoder (Meta’s export)', () => {
  it('finds the same three token→image attentions and the two MLPs, and keeps the masks in FP', async () => {
    const model = decodeModel(readFileSync(`${mobileSam}decoder.onnx`));
    const embedding = (phase: number) => new ort.Tensor('float32', Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => Math.sin(i * 0.37 + phase) * 0.5 + Math.cos(i * 0.0013) * 0.3), [1, 256, 64, 64]);
    const feeds = [0, 1].map((phase) => decoderFeeds(embedding(phase), [300 + 50 * phase, 200, 700, 650], [2, 3], 256, 1024));
    const { model: rewritten, report } = applyBig(model, await collectBigStats(ortModule, model, feeds));
    expect(report.map((r) => r.attention)).toEqual(TOKEN_TO_IMAGE);
    console.info(`MobileSAM decoder: ${report.map((r) => `${r.flipped}/${r.channels} flipped, ${r.applied ? 'applied' : r.reason}`).join('; ')}`);
    const difference = await maxRelativeOutputDifference(ortModule, model, rewritten, feeds);
    console.info(`MobileSAM decoder with BIG: FP max relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-6);
    // Its LayerNorms are the decomposed pattern (opset < 17 export), all before residual Adds: only the MLPs migrate.
    const migrated = migrateOutliers(rewritten, await collectMigrationStats(ortModule, rewritten, feeds), { alpha: 0.5, patterns: ['LayerNormalization', 'decomposed', 'linear-relu'] });
    expect(migrated.report.migrated.map((site) => site.units)).toEqual(MLP_LIN2.map((name) => [name]));
    expect(migrated.report.skipped.filter((skip) => /norm\d\/Div$/.test(skip.source))).toHaveLength(8);
    const both = await maxRelativeOutputDifference(ortModule, model, migrated.model, feeds);
    console.info(`MobileSAM decoder with BIG and MLP migration: FP max relative difference ${both.toExponential(2)}`);
    expect(both).toBeLessThan(1e-5);
  }, 300_000);
});
