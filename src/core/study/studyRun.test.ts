/**
 * The whole study on the demo SAM with onnxruntime-node and glpk.js, at a tiny size (one calibration
 * image, σ at one width, both post-softmax settings): FP's scores per prompt kind checked against the plain model files and an
 * independent mask pipeline (the decoder's own image-size `masks`, one decoder run per prompt).
 */
import { readFileSync } from 'node:fs';
import GLPK from 'glpk.js/node';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { glpkEngine, type GlpkSolver } from '../allocate';
import { prepareSam } from '../analysis/analysisModel';
import { defaultAnalysisSettings } from '../analysis/settings';
import { toOrtFeeds, type OrtModule } from '../onnx/ort';
import { STUDY_BUDGETS } from './plan';
import { calibrationScenes, heldOutSet, type PromptKind } from './scenes';
import { runQualityStudy } from './studyRun';

const ortModule = ort as unknown as OrtModule;
const demoBytes = (file: string) => new Uint8Array(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));
const files = { encoder: demoBytes('encoder.onnx'), decoder: demoBytes('decoder.onnx'), config: { inputSize: 256, lowResSize: 64 } };

/** FP mIoU per prompt kind: plain sessions on the original files, one prompt per decoder run. */
async function plainFpMiou(heldOut: ReturnType<typeof heldOutSet>): Promise<Record<PromptKind, number>> {
  const sam = prepareSam(files);
  const encoder = await ort.InferenceSession.create(files.encoder);
  const decoder = await ort.InferenceSession.create(files.decoder);
  const result = {} as Record<PromptKind, number>;
  for (const kind of ['point', 'box'] as const) {
    const ious: number[] = [];
    for (const item of heldOut.byKind[kind]) {
      const embedding = (await encoder.run(toOrtFeeds(ortModule, sam.adapter.encoderFeeds(item.image)))).image_embeddings;
      for (const [b, prompt] of item.prompts.entries()) {
        const prompts = prompt.kind === 'box' ? { points: [], box: prompt } : { points: [prompt], box: null };
        const out = await decoder.run({ ...toOrtFeeds(ortModule, sam.adapter.decoderFeeds(prompts, item.image)), image_embeddings: embedding });
        const [, count, h, w] = out.masks.dims;
        const iou = out.iou_predictions.data as Float32Array;
        // Boxes: SAM's single mask (output 0); points: the best of the multimask outputs 1..3.
        let m = prompt.kind === 'box' ? 0 : 1;
        if (prompt.kind === 'point') for (let k = 2; k < count; k++) if (iou[k] > iou[m]) m = k;
        const plane = (out.masks.data as Float32Array).subarray(m * h * w, (m + 1) * h * w);
        const truth = item.truth[b]!.data;
        let inter = 0;
        let union = 0;
        for (let i = 0; i < plane.length; i++) {
          const inside = plane[i] > 0;
          if (inside && truth[i]) inter++;
          if (inside || truth[i]) union++;
        }
        ious.push(union === 0 ? 1 : inter / union);
      }
    }
    result[kind] = ious.reduce((a, b) => a + b, 0) / ious.length;
  }
  await encoder.release();
  await decoder.release();
  return result;
}

describe('runQualityStudy on the demo SAM', () => {
  it('scores FP as the plain files do, and holds the mixed model to the uniform budget', async () => {
    const heldOut = heldOutSet({ minObjects: 3 });
    const study = await runQualityStudy({
      ort: ortModule,
      milp: glpkEngine((await GLPK()) as unknown as GlpkSolver),
      files,
      calibration: calibrationScenes(1),
      heldOut,
      settings: {
        analysis: { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 2, candidateBits: [6] },
        budgets: STUDY_BUDGETS.filter((budget) => budget.label === 'W6A6'),
        modes: ['sensitivity'],
        objective: { lambda: 0.1, lambdaScale: 'objective' },
        log2PostSoftmax: [true, false],
      },
    });
    // One analysis per post-softmax setting: same units, ablation + 6 bits each.
    const [withLog2, withoutLog2] = study.analyses;
    expect(study.analyses.map((a) => a.log2PostSoftmax)).toEqual([true, false]);
    const units = withLog2.results.units.length;
    for (const analysis of study.analyses) expect(analysis.stats.probesRun).toBe(units * 2);
    expect(withoutLog2.results.runKey).not.toBe(withLog2.results.runKey);
    expect(withoutLog2.facts.log2PostSoftmax).toBe(false);
    expect(Object.keys(withoutLog2.facts.log2Tau)).toEqual([]);
    // Ablation does not quantize: Ω is the same. A σ probe quantizes one unit, so only softmax·v units
    // (whose post-softmax input changes quantizer) measure a different σ.
    const softmaxV = new Set(prepareSam(files).probedUnits.filter((unit) => unit.postSoftmaxInput !== null).map((unit) => unit.id));
    expect(softmaxV.size).toBeGreaterThan(0);
    withLog2.results.units.forEach((unit, i) => {
      const other = withoutLog2.results.units[i];
      expect(other.id).toBe(unit.id);
      expect(other.importance).toBeCloseTo(unit.importance, 12);
      if (!softmaxV.has(unit.id)) expect(other.sensitivity[0]).toBeCloseTo(unit.sensitivity[0], 12);
    });
    const sigmaOf = (analysis: typeof withLog2) => analysis.results.units.filter((unit) => softmaxV.has(unit.id)).map((unit) => unit.sensitivity[0]);
    console.info(`σ(6 bits) of softmax·v units, log2: ${sigmaOf(withLog2).map((v) => v.toExponential(2)).join(' ')}; uniform: ${sigmaOf(withoutLog2).map((v) => v.toExponential(2)).join(' ')}`);
    expect(sigmaOf(withoutLog2)).not.toEqual(sigmaOf(withLog2));
    expect(study.rows.map((row) => row.id)).toEqual([
      'fp',
      'uniform-W6A6-log2',
      'uniform-W6A6-nolog2',
      'mixed-sensitivity-W6A6-log2',
      'mixed-sensitivity-W6A6-nolog2',
    ]);
    const [fp, uniformLog2, uniformPlain, mixed] = study.rows;

    const plain = await plainFpMiou(heldOut);
    console.info(`FP mIoU points ${fp.miouTruth.point.toFixed(4)} (plain ${plain.point.toFixed(4)}), boxes ${fp.miouTruth.box.toFixed(4)} (plain ${plain.box.toFixed(4)})`);
    // TypeScript's bilinear upsampling vs the graph's Resize differ only on boundary pixels.
    expect(Math.abs(fp.miouTruth.point - plain.point)).toBeLessThan(0.02);
    expect(Math.abs(fp.miouTruth.box - plain.box)).toBeLessThan(0.02);
    const points = heldOut.objects;
    expect(fp.miouTruth.all).toBeCloseTo((fp.miouTruth.point * points + fp.miouTruth.box * points) / (2 * points), 12);
    expect([fp.miouFp.all, fp.relativeToFp]).toEqual([1, 1]);

    // Uniform: every unit at 6 bits, exactly on the budget; the log2 setting changes the model.
    expect(uniformLog2.widths).toEqual({ 6: units });
    expect([uniformLog2.averageWeightBits, uniformLog2.bopsEquivalentBits]).toEqual([6, 6]);
    expect(uniformLog2.miouFp.all).not.toBe(uniformPlain.miouFp.all);
    expect(uniformLog2.miouFp.all).toBeLessThan(1);
    // Mixed: within the same size and BOPs.
    expect(mixed.averageWeightBits!).toBeLessThanOrEqual(6 + 1e-9);
    expect(mixed.bopsEquivalentBits!).toBeLessThanOrEqual(6 + 1e-9);
    expect(Object.values(mixed.widths!).reduce((a, b) => a + b, 0)).toBe(units);
  }, 600_000);

  it('scores every model with each weight rounding: GPTQ rows beside the nearest ones, FP once', async () => {
    const heldOut = heldOutSet({ minObjects: 3 });
    const study = await runQualityStudy({
      ort: ortModule,
      milp: glpkEngine((await GLPK()) as unknown as GlpkSolver),
      files,
      calibration: calibrationScenes(1),
      heldOut,
      settings: {
        analysis: { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 2, candidateBits: [4] },
        budgets: [{ label: 'W4A4', bits: 4, candidates: [3, 4, 5] }],
        modes: ['sensitivity'],
        objective: { lambda: 0.1, lambdaScale: 'objective' },
        log2PostSoftmax: [true],
        roundings: ['nearest', 'gptq'],
      },
    });
    expect(study.rows.map((row) => [row.id, row.rounding])).toEqual([
      ['fp', null],
      ['uniform-W4A4-log2', 'nearest'],
      ['uniform-W4A4-log2-gptq', 'gptq'],
      ['mixed-sensitivity-W4A4-log2', 'nearest'],
      ['mixed-sensitivity-W4A4-log2-gptq', 'gptq'],
    ]);
    const [fp, uniform, uniformGptq, mixed, mixedGptq] = study.rows;
    expect(fp.miouFp.all).toBe(1);
    // The same allocation, rounded otherwise: a different model, held to the same widths.
    expect(uniformGptq.widths).toEqual(uniform.widths);
    expect(mixedGptq.averageWeightBits).toBe(mixed.averageWeightBits);
    expect(uniformGptq.miouFp.all).not.toBe(uniform.miouFp.all);
    expect(uniformGptq.miouFp.all).toBeLessThan(1);
    console.info(`W4A4 IoU vs FP masks: uniform ${uniform.miouFp.all.toFixed(4)} → GPTQ ${uniformGptq.miouFp.all.toFixed(4)}; mixed ${mixed.miouFp.all.toFixed(4)} → GPTQ ${mixedGptq.miouFp.all.toFixed(4)}`);
    expect(study.gptq!.units.length).toBeGreaterThan(0);
    expect(study.timings.gptqMs).toBeGreaterThan(0);
  }, 600_000);
});
