/**
 * The held-out scores the studio's Evaluate shows, on the demo SAM with onnxruntime-node: each prompt
 * kind scored as evaluatePlans scores it alone (what runQualityStudy does), "all" the prompt-weighted
 * mean, progress over both kinds, and cancel.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { calibrate, prepareSam } from '../analysis/analysisModel';
import { calibrationPrompts } from '../analysis/calibrationPrompts';
import { evaluatePlans, type EvaluationProgress } from '../evaluate/evaluateRun';
import type { EvaluationPlan } from '../evaluate/evaluationPlans';
import { buildSamParametric, QuantizedSam } from '../evaluate/quantizedSam';
import type { OrtModule } from '../onnx/ort';
import { scoreHeldOut } from './heldOutScores';
import { calibrationScenes, heldOutSet } from './scenes';

const ortModule = ort as unknown as OrtModule;
const demoBytes = (file: string) => new Uint8Array(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));
const files = { encoder: demoBytes('encoder.onnx'), decoder: demoBytes('decoder.onnx'), config: { inputSize: 256, lowResSize: 64 } };

describe('scoreHeldOut', () => {
  it('scores points and boxes apart, as the study does, and combines them by prompt count', async () => {
    const sam = prepareSam(files);
    const [scene] = calibrationScenes(1);
    const items = [{ image: scene.image, prompts: calibrationPrompts({ ...scene, width: scene.image.width, height: scene.image.height }, 2, 4) }];
    const facts = await calibrate({ ort: ortModule, sam, items });
    const runner = await QuantizedSam.create(ortModule, sam, buildSamParametric(sam, facts, [3]));
    const uniform = Object.fromEntries(sam.probedUnits.map((unit) => [unit.id, 3]));
    const plans: EvaluationPlan[] = [
      { id: 'fp', label: 'FP32', allocation: null },
      { id: 'uniform', label: 'Uniform W3A3', allocation: uniform },
    ];
    const heldOut = heldOutSet({ minObjects: 3 });
    const events: EvaluationProgress[] = [];
    try {
      const scores = await scoreHeldOut(runner, heldOut, plans, { onProgress: (p) => events.push(p) });
      const alone = { point: await evaluatePlans(runner, heldOut.byKind.point, plans), box: await evaluatePlans(runner, heldOut.byKind.box, plans) };
      expect(scores.objects).toBe(heldOut.objects);
      expect(scores.seeds).toEqual(heldOut.seeds);
      const [fp, quantized] = scores.plans;
      for (const kind of ['point', 'box'] as const) {
        expect(scores.byKind[kind].prompts).toBe(heldOut.objects);
        expect(fp.miouTruth[kind]).toBe(alone[kind].plans[0].miouTruth);
        expect(quantized.miouTruth[kind]).toBe(alone[kind].plans[1].miouTruth);
        expect(quantized.miouFp[kind]).toBe(alone[kind].plans[1].miouFp);
      }
      // Every held-out prompt has a truth and there are as many points as boxes: "all" is the plain mean.
      expect(fp.miouTruth.all).toBeCloseTo((fp.miouTruth.point + fp.miouTruth.box) / 2, 12);
      expect(quantized.miouFp.all).toBeCloseTo((quantized.miouFp.point + quantized.miouFp.box) / 2, 12);
      expect([fp.miouFp.point, fp.miouFp.box, fp.miouFp.all]).toEqual([1, 1, 1]);
      // 3 bits everywhere moves the masks.
      expect(quantized.miouFp.all).toBeLessThan(0.99);
      expect(fp.miouTruth.all).toBeGreaterThan(0.5);

      // Progress runs over both kinds to one total, never backwards, and ends done.
      const total = 2 * heldOut.byKind.point.length * plans.length;
      expect(events.every((event) => event.total === total)).toBe(true);
      expect(events.map((event) => event.done)).toEqual([...events.map((event) => event.done)].sort((a, b) => a - b));
      expect(events.at(-1)).toMatchObject({ done: total, etaMs: 0 });
      expect(events.some((event) => event.label.startsWith('boxes: '))).toBe(true);

      let forwards = 0;
      await expect(scoreHeldOut(runner, heldOut, plans, { isCancelled: () => ++forwards > 3 })).rejects.toThrow('cancelled');
    } finally {
      await runner.release();
    }
  }, 300_000);
});
