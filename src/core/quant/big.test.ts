/**
 * BIG on the demo decoder and on MobileSAM's (Meta's) decoder, in real onnxruntime-node sessions: the
 * rewritten decoder computes the same masks in FP, and the token→image q·kᵀ loses less to A4 / A6
 * per-tensor quantization of q and k (quantizers.ts, ranges from calibrate()) on the calibration prompts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrtFeeds, OrtModule } from '../onnx/ort.ts';
import { decodeModel, encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { encoderInput } from '../synth/sam-input.ts';
import { generateScene } from '../synth/scene.ts';
import { applyBig, collectBigStats, findBigCandidates, type BigStats } from './big.ts';
import { calibrate } from './calibration.ts';
import { siteKey } from './config.ts';
import { activationParams, fakeQuantArray } from './quantizers.ts';
import { discoverUnits } from './units.ts';

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

/** max |a − b| / max |a| over the decoder's float outputs, for each feed. */
async function maxRelativeDifference(original: ModelProto, rewritten: ModelProto, feeds: readonly OrtFeeds[]): Promise<number> {
  const [a, b] = await Promise.all([original, rewritten].map((m) => ort.InferenceSession.create(encodeModelBytes(m))));
  let worst = 0;
  for (const feed of feeds) {
    const [ya, yb] = [await a.run(feed), await b.run(feed)];
    for (const name of ['low_res_masks', 'iou_predictions']) {
      const [expected, actual] = [ya[name].data as Float32Array, yb[name].data as Float32Array];
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      worst = Math.max(worst, expected.reduce((m, v, i) => Math.max(m, Math.abs(v - actual[i])), 0) / scale);
    }
  }
  await Promise.all([a.release(), b.release()]);
  return worst;
}

/**
 * Σ‖q·kᵀ − Q(q)·Q(kᵀ)‖² / Σ‖q·kᵀ‖² over the named q·kᵀ MatMuls and feeds, for each width: q and kᵀ per
 * tensor on calibrate()'s ranges (mean min-max over the same feeds).
 */
async function attentionError(model: ModelProto, attentions: readonly string[], feeds: readonly OrtFeeds[], widths: readonly number[]): Promise<number[]> {
  const units = discoverUnits(model, { graph: 'decoder' }).filter((u) => attentions.includes(u.nodeName));
  expect(units.length).toBe(attentions.length);
  const ranges = await calibrate(ortModule, model, units, feeds);
  const session = await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, units.flatMap((u) => u.activationInputs))));
  const error = widths.map(() => 0);
  let energy = 0;
  for (const feed of feeds) {
    const results = await session.run(feed);
    for (const unit of units) {
      const [q, kT] = unit.activationInputs.map((name) => results[name]);
      const exact = batchMatmul(q.data as Float32Array, kT.data as Float32Array, q.dims, kT.dims);
      for (const v of exact) energy += v * v;
      widths.forEach((bits, b) => {
        const [qRange, kRange] = [0, 1].map((i) => ranges[siteKey(unit.id, i)]);
        const quantizedQ = fakeQuantArray(q.data as Float32Array, activationParams(qRange.min, qRange.max, bits));
        const quantizedK = fakeQuantArray(kT.data as Float32Array, activationParams(kRange.min, kRange.max, bits));
        const quantized = batchMatmul(quantizedQ, quantizedK, q.dims, kT.dims);
        for (let i = 0; i < exact.length; i++) error[b] += (exact[i] - quantized[i]) ** 2;
      });
    }
  }
  await session.release();
  return error.map((e) => e / energy);
}

/** [.., n, d] · [.., d, m] in float64. */
function batchMatmul(a: Float32Array, b: Float32Array, aDims: readonly number[], bDims: readonly number[]): Float64Array {
  const [n, d] = aDims.slice(-2);
  const m = bDims[bDims.length - 1];
  const batches = a.length / (n * d);
  const out = new Float64Array(batches * n * m);
  for (let h = 0; h < batches; h++) {
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < d; t++) {
        const x = a[(h * n + i) * d + t];
        for (let j = 0; j < m; j++) out[(h * n + i) * m + j] += x * b[(h * d + t) * m + j];
      }
    }
  }
  return out;
}

describe('BIG on the demo decoder', () => {
  const model = decodeModel(demoFile('decoder.onnx'));
  let feeds: OrtFeeds[];
  let stats: BigStats;

  beforeAll(async () => {
    feeds = await demoDecoderFeeds([500_101, 500_102, 500_103]);
    stats = await collectBigStats(ortModule, model, feeds);
  }, 120_000);

  it('folds the sign into the three token→image attentions only, and keeps the masks in FP', async () => {
    expect(findBigCandidates(model).length).toBeGreaterThan(3); // self and image→token attentions are candidates too
    const { model: rewritten, report } = applyBig(model, stats);
    console.info(
      report
        .map((r) => `${r.attention}: ${r.flipped}/${r.channels} channels flipped, k range [${r.kRange.before.map((v) => v.toFixed(2))}] → [${r.kRange.after.map((v) => v.toFixed(2))}], q range [${r.qRange.before.map((v) => v.toFixed(2))}] → [${r.qRange.after.map((v) => v.toFixed(2))}], ${r.applied ? 'applied' : 'not applied: ' + r.reason}`)
        .join('\n'),
    );
    expect(report.map((r) => r.attention)).toEqual([
      '/transformer/layers.0/cross_attn_token_to_image/MatMul',
      '/transformer/layers.1/cross_attn_token_to_image/MatMul',
      '/transformer/final_attn_token_to_image/MatMul',
    ]);
    const difference = await maxRelativeDifference(model, rewritten, feeds.slice(0, 4));
    console.info(`demo decoder with BIG: FP max relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-6);
  }, 120_000);

  it('measures the token→image q·kᵀ error under A4 / A6 quantization with and without BIG', async () => {
    const { model: rewritten, report } = applyBig(model, stats);
    const attentions = report.map((r) => r.attention);
    const widths = [4, 6];
    const [before, after] = [await attentionError(model, attentions, feeds, widths), await attentionError(rewritten, attentions, feeds, widths)];
    widths.forEach((bits, b) => {
      console.info(`demo decoder token→image q·kᵀ at A${bits}: relative squared error ${before[b].toExponential(3)} → ${after[b].toExponential(3)} with BIG (${((1 - after[b] / before[b]) * 100).toFixed(1)} % less)`);
      if (report.some((r) => r.applied)) expect(after[b]).toBeLessThan(before[b]);
      else expect(after[b]).toBe(before[b]);
    });
  }, 300_000);
});

const mobileSam = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));

describe.skipIf(!existsSync(`${mobileSam}decoder.onnx`))('BIG on MobileSAM’s decoder (Meta’s export)', () => {
  it('finds the same three token→image attentions and keeps the masks in FP', async () => {
    const model = decodeModel(readFileSync(`${mobileSam}decoder.onnx`));
    const embedding = (phase: number) => new ort.Tensor('float32', Float32Array.from({ length: 256 * 64 * 64 }, (_, i) => Math.sin(i * 0.37 + phase) * 0.5 + Math.cos(i * 0.0013) * 0.3), [1, 256, 64, 64]);
    const feeds = [0, 1].map((phase) => decoderFeeds(embedding(phase), [300 + 50 * phase, 200, 700, 650], [2, 3], 256, 1024));
    const { model: rewritten, report } = applyBig(model, await collectBigStats(ortModule, model, feeds));
    expect(report.map((r) => r.attention)).toEqual([
      '/transformer/layers.0/cross_attn_token_to_image/MatMul',
      '/transformer/layers.1/cross_attn_token_to_image/MatMul',
      '/transformer/final_attn_token_to_image/MatMul',
    ]);
    console.info(`MobileSAM decoder: ${report.map((r) => `${r.flipped}/${r.channels} flipped, ${r.applied ? 'applied' : r.reason}`).join('; ')}`);
    const difference = await maxRelativeDifference(model, rewritten, feeds);
    console.info(`MobileSAM decoder with BIG: FP max relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-6);
  }, 300_000);
});
