/**
 * The evaluation, preview and export paths on the demo SAM with onnxruntime-node: FP scores checked
 * against the plain (never rewritten) model files and an independent mask pipeline (the decoder's own
 * image-size `masks` output), quantized scores ordered by width, and the exported files equal to the
 * simulation bit for bit.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrate, prepareSam, promptFeeds, type CalibrationFacts, type PreparedSam } from '../analysis/analysisModel';
import { singleMaskPrompts } from '../analysis/calibrationFeeds';
import { valueInfo } from '../onnx/builder';
import { intAttr } from '../onnx/graph';
import { REFERENCE_SESSION_OPTIONS, toOrtFeeds, type OrtModule } from '../onnx/ort';
import { decodeModel, encodeModelBytes, onnx } from '../onnx/proto';
import { DataType, makeTensor } from '../onnx/tensor';
import { generateScene, MIN_VISIBLE_PIXELS } from '../synth/scene';
import { evaluatePlans } from './evaluateRun';
import { evaluationItems, type EvaluationItem, type EvaluationSource } from './evaluationItems';
import { MaskPreviewer } from './maskPreview';
import { buildSamParametric, QuantizedSam, unitsOfGraph, type SamParametric } from './quantizedSam';
import { exportQuantizedSam } from './samExport';
import { verifySamExport } from './verifySamExport';

const ortModule = ort as unknown as OrtModule;
const demoBytes = (file: string) => new Uint8Array(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));
const files = { encoder: demoBytes('encoder.onnx'), decoder: demoBytes('decoder.onnx'), config: { inputSize: 256, lowResSize: 64 } };

/** Generated scenes with their visible objects as truth (boxes in pixel edges), as the studio's samples. */
function sources(seeds: number[]): EvaluationSource[] {
  return seeds.map((seed) => {
    const scene = generateScene(seed, { size: 256 });
    const truth = scene.objects
      .filter((o) => o.box && o.visiblePixels >= MIN_VISIBLE_PIXELS)
      .map((o) => ({ mask: { width: 256, height: 256, data: o.mask }, box: { x0: o.box![0], y0: o.box![1], x1: o.box![2] + 1, y1: o.box![3] + 1 } }));
    return { name: `scene ${seed}`, image: { width: 256, height: 256, data: scene.rgba }, truth };
  });
}

function plainIoU(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? 1 : inter / union;
}

let sam: PreparedSam;
let facts: CalibrationFacts;
let items: EvaluationItem[];
let parametric: SamParametric;

beforeAll(async () => {
  sam = prepareSam(files);
  items = evaluationItems(sources([2, 4, 9]), 4, 4);
  facts = await calibrate({ ort: ortModule, sam, items });
  parametric = buildSamParametric(sam, facts, [2, 4, 6, 8]);
}, 180_000);

const uniform = (bits: number) => Object.fromEntries(sam.probedUnits.map((unit) => [unit.id, bits]));

describe('evaluatePlans on the demo SAM', () => {
  it('scores FP like the plain model files, and narrower uniform widths further from FP', async () => {
    const runner = await QuantizedSam.create(ortModule, sam, parametric);
    const result = await evaluatePlans(runner, items, [
      { id: 'fp', label: 'FP32', allocation: null },
      { id: 'uniform', label: 'W8', allocation: uniform(8) },
      { id: 'mixed', label: 'W2', allocation: uniform(2) },
    ]);
    await runner.release();
    expect(result.images).toBe(3);
    expect(result.prompts).toBe(items.reduce((n, item) => n + item.prompts.length, 0));
    expect(result.promptsWithTruth).toBe(result.prompts);

    // Independent FP pipeline: the original files, the decoder's own image-size masks, a plain IoU loop.
    const encoder = await ort.InferenceSession.create(files.encoder);
    const decoder = await ort.InferenceSession.create(files.decoder);
    const ious: number[] = [];
    for (const item of items) {
      const embedding = (await encoder.run(toOrtFeeds(ortModule, sam.adapter.encoderFeeds(item.image)))).image_embeddings;
      const out = await decoder.run({ ...promptFeeds(ortModule, sam, item).runs[0], image_embeddings: embedding });
      const [, masksPerPrompt, h, w] = out.masks.dims;
      const single = singleMaskPrompts(item.prompts);
      item.prompts.forEach((_, b) => {
        const iou = out.iou_predictions.data as Float32Array;
        let m = 0;
        if (!single[b]) for (let k = 2, best = 1; k < masksPerPrompt; k++) m = iou[b * masksPerPrompt + k] > iou[b * masksPerPrompt + best] ? (best = k) : best;
        const plane = (out.masks.data as Float32Array).subarray((b * masksPerPrompt + m) * h * w, (b * masksPerPrompt + m + 1) * h * w);
        ious.push(plainIoU(Uint8Array.from(plane, (v) => (v > 0 ? 1 : 0)), item.truth[b]!.data));
      });
    }
    await encoder.release();
    await decoder.release();
    const plainMiou = ious.reduce((a, b) => a + b, 0) / ious.length;
    const [fp, w8, w2] = result.plans;
    console.info(`demo SAM mIoU vs truth: FP ${fp.miouTruth!.toFixed(4)} (plain files ${plainMiou.toFixed(4)}), W8 ${w8.miouTruth!.toFixed(4)}, W2 ${w2.miouTruth!.toFixed(4)}; vs FP: W8 ${w8.miouFp.toFixed(4)}, W2 ${w2.miouFp.toFixed(4)}`);
    expect(fp.miouFp).toBe(1);
    // Bilinear upsampling in TypeScript vs the graph's Resize differ only on boundary pixels.
    expect(Math.abs(fp.miouTruth! - plainMiou)).toBeLessThan(0.02);
    expect(w8.miouFp).toBeGreaterThan(w2.miouFp);
    expect(w2.miouFp).toBeLessThan(1);
    expect(w8.miouFp).toBeGreaterThan(0.9);
  }, 180_000);

  it('stops with a CancelledError when asked', async () => {
    const runner = await QuantizedSam.create(ortModule, sam, parametric);
    let polls = 0;
    await expect(evaluatePlans(runner, items, [{ id: 'fp', label: 'FP32', allocation: null }], { isCancelled: () => ++polls > 1 })).rejects.toThrow('Evaluation cancelled.');
    await runner.release();
  }, 60_000);
});

describe('MaskPreviewer', () => {
  it('agrees with itself at full precision, and reuses embeddings when only prompts change', async () => {
    const runner = await QuantizedSam.create(ortModule, sam, parametric);
    const previewer = new MaskPreviewer(runner);
    const [item] = items;
    const truth = sources([2])[0].truth!.map((t) => ({ label: 'object', ...t }));
    const box = { points: [], box: truth[0].box };
    const fpOnly = Object.fromEntries(sam.probedUnits.map((unit) => [unit.id, null]));
    const same = await previewer.preview('scene-2', item.image, box, fpOnly, truth);
    expect(same.agreement.iou).toBe(1);
    expect(same.agreement.onlyReference + same.agreement.onlyCompared).toBe(0);
    // FP and the all-null allocation share one embedding: one encoder run.
    expect(same.encoderRuns).toBe(1);
    expect(same.fp.truth?.objectIndex).toBe(0);

    const w2 = await previewer.preview('scene-2', item.image, box, uniform(2), truth);
    expect(w2.encoderRuns).toBe(1);
    expect(w2.agreement.iou).toBeLessThan(1);
    expect(w2.agreement.both + w2.agreement.onlyReference).toBe(same.fp.mask.data.reduce((a, b) => a + b, 0));
    const moved = await previewer.preview('scene-2', item.image, { points: [{ x: 100, y: 100, positive: true }], box: null }, uniform(2), truth);
    expect(moved.encoderRuns).toBe(0);
    await runner.release();
  }, 120_000);
});

describe('exported files', () => {
  it('reproduce the simulation of a mixed allocation bit for bit, and are smaller than FP', async () => {
    const widths = [2, 4, 6, 8];
    const mixed = Object.fromEntries(sam.probedUnits.map((unit, i) => [unit.id, widths[i % widths.length]]));
    const exported = exportQuantizedSam(sam, parametric, mixed, { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength });
    expect(exported.encoder.quantizedWeights.length).toBe(unitsOfGraph(sam, 'encoder').filter((u) => u.kind === 'weight').length);
    expect(exported.encoder.sizes.fileBytes).toBeLessThan(exported.encoder.fpFileBytes);
    const simulation = await QuantizedSam.create(ortModule, sam, parametric, REFERENCE_SESSION_OPTIONS);
    const verification = await verifySamExport(simulation, { encoder: exported.encoder.bytes, decoder: exported.decoder.bytes }, mixed, items[1]);
    await simulation.release();
    console.info(`export vs simulation: ${JSON.stringify(verification)}`);
    expect(verification.prompts).toBe(items[1].prompts.length);
    expect(verification.endToEnd.range).toBeGreaterThan(0);
    expect(verification.encoder.maxAbsError).toBe(0);
    expect(verification.decoder.maxAbsError).toBe(0);
    expect(verification.endToEnd.maxAbsError).toBe(0);
    expect(verification.maxAbsErrorAllOutputs).toBe(0);
  }, 180_000);

  it('are checked on every decoder output, integer ones too (the int64 mask areas of return_extra_metrics exports)', async () => {
    // The demo decoder with an extra int64 output, as Meta's export script writes its mask areas.
    const decoder = decodeModel(files.decoder);
    const graph = decoder.graph!;
    const positive = graph.node!.length;
    graph.node!.push(
      onnx.NodeProto.create({ opType: 'Greater', input: ['low_res_masks', 'areas_zero'], output: ['areas_positive'], name: `areas_${positive}_gt` }),
      onnx.NodeProto.create({ opType: 'Cast', input: ['areas_positive'], output: ['areas_float'], name: 'areas_cast_f', attribute: [intAttr('to', DataType.FLOAT)] }),
      onnx.NodeProto.create({ opType: 'ReduceSum', input: ['areas_float', 'areas_axes'], output: ['areas_sum'], name: 'areas_sum', attribute: [intAttr('keepdims', 0)] }),
      onnx.NodeProto.create({ opType: 'Cast', input: ['areas_sum'], output: ['areas'], name: 'areas_cast_i', attribute: [intAttr('to', DataType.INT64)] }),
    );
    graph.initializer!.push(makeTensor('areas_zero', DataType.FLOAT, [], [0]), makeTensor('areas_axes', DataType.INT64, [2], BigInt64Array.from([2n, 3n])));
    graph.output!.push(valueInfo('areas', DataType.INT64, ['prompts', 'masks']));
    const withAreas = { ...files, decoder: encodeModelBytes(decoder) };
    const samWithAreas = prepareSam(withAreas);
    expect(samWithAreas.lowResOutput).toBe('low_res_masks');
    const parametricWithAreas = buildSamParametric(samWithAreas, facts, [4]);
    const allocation = uniform(4);
    const exported = exportQuantizedSam(samWithAreas, parametricWithAreas, allocation, { encoder: files.encoder.byteLength, decoder: withAreas.decoder.byteLength });
    const simulation = await QuantizedSam.create(ortModule, samWithAreas, parametricWithAreas, REFERENCE_SESSION_OPTIONS);
    try {
      const verification = await verifySamExport(simulation, { encoder: exported.encoder.bytes, decoder: exported.decoder.bytes }, allocation, items[1]);
      expect(verification.maxAbsErrorAllOutputs).toBe(0);
      expect(verification.endToEnd.maxAbsError).toBe(0);
      // The areas really are compared: a file whose areas differ fails the check.
      const areasOff = decodeModel(exported.decoder.bytes);
      const initializers = areasOff.graph!.initializer!;
      initializers[initializers.findIndex((t) => t.name === 'areas_zero')] = makeTensor('areas_zero', DataType.FLOAT, [], [-1e9]);
      const broken = await verifySamExport(simulation, { encoder: exported.encoder.bytes, decoder: encodeModelBytes(areasOff) }, allocation, items[1]);
      expect(broken.endToEnd.maxAbsError).toBe(0);
      expect(broken.maxAbsErrorAllOutputs).toBeGreaterThan(0);
    } finally {
      await simulation.release();
    }
  }, 180_000);
});
