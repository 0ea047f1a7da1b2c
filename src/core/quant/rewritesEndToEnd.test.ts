/**
 * The rewrites end to end on the demo SAM, in the project's parametric fake-quant session with ranges
 * from calibrate(): the encoder's held-out image embedding under uniform W4A4 / W6A6 (every unit quantized
 * by default) moves less from FP once the LayerNorms are migrated; the decoder's held-out mask logits with
 * BIG, with the token→image q·kᵀ alone quantized and with every unit.
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
import { applyBig, collectBigStats } from './big.ts';
import { collectMigrationStats, migrateOutliers } from './migrate.ts';
import { buildParametricModel, PARAMETRIC_SESSION_OPTIONS } from './parametric.ts';
import { discoverUnits, type QuantUnit } from './units.ts';

const ortModule = ort as unknown as OrtModule;
const DEMO_SPEC = { inputSize: 256, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
const WIDTHS = [4, 6];

function sceneFeeds(seeds: readonly number[]): OrtFeeds[] {
  return seeds.map((seed) => {
    const scene = generateScene(seed, { size: 256 });
    return { input_image: new ort.Tensor('float32', encoderInput(scene.rgba, scene.width, scene.height, DEMO_SPEC), [1, 3, 256, 256]) };
  });
}

type PromptKind = 'box' | 'point';

/** A box or a point prompt (the object's box centre, with Meta's padding point) on every object of the scenes. */
async function decoderFeeds(seeds: readonly number[], kinds: readonly PromptKind[]): Promise<OrtFeeds[]> {
  const encoder = await ort.InferenceSession.create(new Uint8Array(readFileSync(new URL('../../../public/models/demo-sam/encoder.onnx', import.meta.url))));
  const feeds: OrtFeeds[] = [];
  for (const seed of seeds) {
    const embeddings = (await encoder.run(sceneFeeds([seed])[0])).image_embeddings;
    for (const object of generateScene(seed, { size: 256 }).objects) {
      if (!object.box) continue;
      const [x0, y0, x1, y1] = object.box;
      for (const kind of kinds) {
        const [coords, labels] = kind === 'box' ? [[x0, y0, x1 + 1, y1 + 1], [2, 3]] : [[(x0 + x1) / 2, (y0 + y1) / 2, 0, 0], [1, -1]];
        feeds.push({
          image_embeddings: embeddings,
          point_coords: new ort.Tensor('float32', Float32Array.from(coords), [1, 2, 2]),
          point_labels: new ort.Tensor('float32', Float32Array.from(labels), [1, 2]),
          mask_input: new ort.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
          has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
          orig_im_size: new ort.Tensor('float32', Float32Array.from([256, 256]), [2]),
        });
      }
    }
  }
  await encoder.release();
  return feeds;
}

/**
 * Σ‖y − ŷ‖² / Σ‖y‖² of `output` over the held-out feeds, per uniform width, with the units `pick` keeps
 * (default: every unit quantized by default) at that width.
 */
async function outputError(
  model: ModelProto,
  output: string,
  calibration: readonly OrtFeeds[],
  heldOut: readonly OrtFeeds[],
  pick: (unit: QuantUnit) => boolean = () => true,
): Promise<number[]> {
  const units = discoverUnits(model);
  const parametric = buildParametricModel(model, units, { ranges: await calibrate(ortModule, model, units, calibration), weightBits: WIDTHS });
  const session = await ort.InferenceSession.create(parametric.bytes, PARAMETRIC_SESSION_OPTIONS);
  try {
    const errors: number[] = [];
    for (const bits of WIDTHS) {
      const config = allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault && pick(u)).map((u) => [u.id, bits])), units);
      let error = 0;
      let energy = 0;
      for (const feed of heldOut) {
        const fp = (await session.run({ ...feed, ...toOrtFeeds(ortModule, parametric.feedsFor({})) }))[output].data as Float32Array;
        const quantized = (await session.run({ ...feed, ...toOrtFeeds(ortModule, parametric.feedsFor(config)) }))[output].data as Float32Array;
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

describe('the rewrites end to end', () => {
  it('lowers the held-out embedding error of the demo encoder at uniform W4A4 and W6A6 (α 0.5 and 0.75)', async () => {
    const model = decodeModel(readFileSync(new URL('../../../public/models/demo-sam/encoder.onnx', import.meta.url)));
    const calibration = sceneFeeds([500_101, 500_102, 500_103, 500_104]);
    const heldOut = sceneFeeds([700_001, 700_002, 700_003]);
    const stats = await collectMigrationStats(ortModule, model, calibration);
    const baseline = await outputError(model, 'image_embeddings', calibration, heldOut);
    for (const alpha of [0.5, 0.75]) {
      const migrated = await outputError(migrateOutliers(model, stats, { alpha }).model, 'image_embeddings', calibration, heldOut);
      WIDTHS.forEach((bits, b) => {
        console.info(`demo encoder uniform W${bits}A${bits}, held-out embedding relative squared error ${baseline[b].toExponential(3)} → ${migrated[b].toExponential(3)} with α ${alpha} (${((1 - migrated[b] / baseline[b]) * 100).toFixed(1)} % less)`);
        expect(migrated[b]).toBeLessThan(baseline[b]);
      });
    }
  }, 300_000);

  it('BIG lowers the demo decoder’s held-out mask-logit error for box prompts (A4, A6; alone and with every unit), not for point prompts', async () => {
    const model = decodeModel(readFileSync(new URL('../../../public/models/demo-sam/decoder.onnx', import.meta.url)));
    const calibration = await decoderFeeds([500_101, 500_102, 500_103], ['box', 'point']);
    const { model: rewritten, report } = applyBig(model, await collectBigStats(ortModule, model, calibration));
    const attentions = new Set(report.map((r) => r.attention));
    const tokenToImage = (unit: QuantUnit) => attentions.has(unit.nodeName);
    for (const kinds of [['box'], ['point']] as PromptKind[][]) {
      const heldOut = await decoderFeeds([700_001, 700_002, 700_003, 700_004], kinds);
      const [before, after] = [await outputError(model, 'low_res_masks', calibration, heldOut, tokenToImage), await outputError(rewritten, 'low_res_masks', calibration, heldOut, tokenToImage)];
      const [allBefore, allAfter] = [await outputError(model, 'low_res_masks', calibration, heldOut), await outputError(rewritten, 'low_res_masks', calibration, heldOut)];
      WIDTHS.forEach((bits, b) => {
        console.info(
          `demo decoder, ${kinds.join(' + ')} prompts, held-out mask-logit relative squared error with BIG: token→image q·kᵀ alone at A${bits} ${before[b].toExponential(3)} → ${after[b].toExponential(3)}; ` +
            `every unit at W${bits}A${bits} ${allBefore[b].toExponential(3)} → ${allAfter[b].toExponential(3)}`,
        );
        // Point prompts (a positive point and Meta's padding point) lose to BIG in every setting here: printed, not asserted.
        if (kinds[0] === 'box') {
          expect(after[b]).toBeLessThan(before[b]);
          expect(allAfter[b]).toBeLessThan(allBefore[b]);
        }
      });
    }
  }, 300_000);
});
