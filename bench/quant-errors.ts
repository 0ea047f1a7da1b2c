/**
 * Where the quantization error comes from: weights or activations, encoder or decoder, and what GPTQ
 * rounding changes, at one uniform width. The study's calibration (4 scenes, per-width ranges and τ,
 * log2 softmax·v) and held-out box prompts; each configuration quantizes only the named part, everything
 * else stays FP. Printed: mask IoU against the FP masks (low-res logits > 0) and the logits' relative
 * squared error, side by side.
 *
 *   npm run bench:quant-errors -- [--bits 4] [--held-out-objects 60] [--model DIR]
 */
import * as ort from 'onnxruntime-node';
import { promptsOfImage } from '../src/core/analysis/analysisKeys';
import { calibrate, imageFeeds, prepareSam, promptFeeds, type CalibrationItem } from '../src/core/analysis/analysisModel';
import { runPromptRuns } from '../src/core/analysis/promptRuns';
import { defaultAnalysisSettings } from '../src/core/analysis/settings';
import { buildRoundedSamParametric } from '../src/core/evaluate/quantizedSam';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../src/core/onnx/ort';
import type { QuantConfig } from '../src/core/quant/config';
import { PARAMETRIC_SESSION_OPTIONS, type ParametricModel } from '../src/core/quant/parametric';
import type { QuantUnit } from '../src/core/quant/units';
import { calibrationScenes, heldOutSet } from '../src/core/study/scenes';
import { loadModelFiles } from '../tools/analyzeInputs';

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const bits = Number(args.get('bits') ?? 4);
const ortModule = ort as unknown as OrtModule;

interface Part {
  label: string;
  /** Which units, and whether their weights and/or activations are quantized. */
  select: (unit: QuantUnit) => { w: boolean; a: boolean } | null;
}

const all = { w: true, a: true };
const PARTS: Part[] = [
  { label: `W${bits}A${bits} everything`, select: () => all },
  { label: `W${bits} weights only`, select: (u) => (u.kind === 'weight' ? { w: true, a: false } : null) },
  { label: `A${bits} activations only (weight units' inputs and both attention matmuls)`, select: () => ({ w: false, a: true }) },
  { label: `A${bits} of the attention matmuls only (q·kᵀ, softmax·v)`, select: (u) => (u.kind === 'activation' ? { w: false, a: true } : null) },
  { label: `A${bits} of the weight units' inputs only`, select: (u) => (u.kind === 'weight' ? { w: false, a: true } : null) },
  { label: `W${bits}A${bits} encoder only`, select: (u) => (u.graph === 'encoder' ? all : null) },
  { label: `W${bits}A${bits} decoder only`, select: (u) => (u.graph === 'decoder' ? all : null) },
];

function configOf(units: readonly QuantUnit[], part: Part): QuantConfig {
  const config: Record<string, { wBits: number | null; aBits: number | null }> = {};
  for (const unit of units) {
    const chosen = part.select(unit);
    if (chosen) config[unit.id] = { wBits: chosen.w && unit.kind === 'weight' ? bits : null, aBits: chosen.a ? bits : null };
  }
  return config;
}

async function main(): Promise<void> {
  const files = await loadModelFiles({ dir: args.get('model') });
  const sam = prepareSam(files);
  const settings = { ...defaultAnalysisSettings, promptsPerImage: 8 };
  const items: CalibrationItem[] = calibrationScenes(4).map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }));
  const facts = await calibrate({ ort: ortModule, sam, items, perWidth: { bits: [bits], ranges: true, log2Tau: true } });
  const heldOut = heldOutSet({ minObjects: Number(args.get('held-out-objects') ?? 60) }).byKind.box;
  const sessions = async (parametric: ParametricModel | null) => (parametric ? ort.InferenceSession.create(parametric.bytes, PARAMETRIC_SESSION_OPTIONS) : null);
  const results: Record<string, Record<string, { iou: number; error: number }>> = {};
  for (const rounding of ['nearest', 'gptq'] as const) {
    const parametric = await buildRoundedSamParametric({ ort: ortModule, sam, facts, weightBits: [bits], rounding, items });
    const [encoder, decoder] = [await sessions(parametric.encoder), await sessions(parametric.decoder)];
    if (!encoder || !decoder) throw new Error('Both graphs need quantizable units.');
    const run = async (config: QuantConfig) => {
      const logits: Float32Array[] = [];
      for (const item of heldOut) {
        const feeds = (p: ParametricModel, graph: 'encoder' | 'decoder') =>
          toOrtFeeds(ortModule, p.feedsFor(Object.fromEntries(Object.entries(config).filter(([id]) => id.startsWith(`${graph}:`)))));
        const embedded = await encoder.run({ ...imageFeeds(ortModule, sam, item.image), ...feeds(parametric.encoder!, 'encoder') });
        const embeddings: OrtFeeds = Object.fromEntries(sam.adapter.embeddingNames.map((name) => [name, embedded[name]]));
        const prompts = promptFeeds(ortModule, sam, { image: item.image, prompts: item.prompts });
        const out = await runPromptRuns(ortModule, decoder, prompts, { ...embeddings, ...feeds(parametric.decoder!, 'decoder') });
        logits.push(out[sam.lowResOutput].data as Float32Array);
      }
      return logits;
    };
    const fp = await run({});
    for (const part of PARTS) {
      const quantized = await run(configOf(sam.probedUnits, part));
      let [inter, union, squared, energy] = [0, 0, 0, 0];
      quantized.forEach((q, k) => {
        const f = fp[k];
        for (let i = 0; i < f.length; i++) {
          const [a, b] = [f[i] > 0, q[i] > 0];
          if (a && b) inter++;
          if (a || b) union++;
          squared += (q[i] - f[i]) ** 2;
          energy += f[i] ** 2;
        }
      });
      (results[part.label] ??= {})[rounding] = { iou: union > 0 ? inter / union : 1, error: squared / energy };
      console.error(`${rounding} · ${part.label}: IoU vs FP ${(inter / union).toFixed(4)}`);
    }
    await encoder.release();
    await decoder.release();
  }
  const prompts = heldOut.reduce((n, item) => n + item.prompts.length, 0);
  console.log(`Quantization error by part at ${bits} bits: demo-sam, ${heldOut.length} held-out scenes, ${prompts} box prompts; low-res mask IoU vs FP and relative squared error of the logits\n`);
  console.log('| quantized | IoU vs FP, nearest | IoU vs FP, GPTQ | logit error, nearest | logit error, GPTQ |\n|---|---:|---:|---:|---:|');
  for (const part of PARTS) {
    const r = results[part.label];
    console.log(`| ${part.label} | ${r.nearest.iou.toFixed(4)} | ${r.gptq.iou.toFixed(4)} | ${r.nearest.error.toExponential(2)} | ${r.gptq.error.toExponential(2)} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
