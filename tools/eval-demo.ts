/**
 * Held-out evaluation of the demo SAM (public/models/demo-sam) with onnxruntime-node on scenes
 * from src/core/synth (their own code and seeds, independent of the Python training data).
 * For every object with a usable visible part: one positive point at its deepest pixel
 * (+ Meta's padding point) and its exact box (corner labels 2, 3). Masks are thresholded at 0;
 * of the 4 outputs the multimask one (tokens 1..3) with the highest predicted IoU is used,
 * as the studio does.
 *
 *   npm run eval:demo [-- --prompts 240 --seed 7000000 --model DIR --update-model-json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import {
  encoderInput,
  generateScene,
  maskIoU,
  MIN_VISIBLE_PIXELS,
  promptForMask,
  type SamInputSpec,
  type ShapeKind,
} from '../src/core/synth/index.ts';

export const DEFAULT_MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'models', 'demo-sam');
/** Held-out scene seeds start here (the studio's sample images use small seeds). */
export const DEFAULT_EVAL_SEED = 7_000_000;

export interface PromptResult {
  kind: ShapeKind;
  prompt: 'point' | 'box';
  iou: number;
}

export interface DemoEvaluation {
  prompts: number;
  seed: number;
  pointMIoU: number;
  boxMIoU: number;
  results: PromptResult[];
}

interface ModelJson extends SamInputSpec {
  encoder: string;
  decoder: string;
  lowResSize: number;
}

/** Index among tokens 1..3 with the highest predicted IoU, for prompt b of a [B,4] tensor. */
function pickMultimask(iou: Float32Array, b: number): number {
  let best = 1;
  for (let t = 2; t <= 3; t++) if (iou[b * 4 + t] > iou[b * 4 + best]) best = t;
  return best;
}

export async function evaluateDemo(options: { prompts: number; seed?: number; modelDir?: string }): Promise<DemoEvaluation> {
  const modelDir = options.modelDir ?? DEFAULT_MODEL_DIR;
  const seed = options.seed ?? DEFAULT_EVAL_SEED;
  if (!(options.prompts > 0)) throw new Error(`prompts must be positive, got ${options.prompts}`);
  const model = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as ModelJson;
  const encoder = await ort.InferenceSession.create(join(modelDir, model.encoder));
  const decoder = await ort.InferenceSession.create(join(modelDir, model.decoder));
  const size = model.inputSize;
  const low = model.lowResSize;
  const results: PromptResult[] = [];
  // Each object gives one point prompt and one box prompt; `prompts` counts objects.
  for (let sceneSeed = seed; results.length < 2 * options.prompts; sceneSeed++) {
    const scene = generateScene(sceneSeed, { size });
    const objects = scene.objects.filter((o) => o.visiblePixels >= MIN_VISIBLE_PIXELS).slice(0, options.prompts - results.length / 2);
    if (objects.length === 0) continue;
    const input = encoderInput(scene.rgba, scene.width, scene.height, model);
    const { image_embeddings: embeddings } = await encoder.run({ input_image: new ort.Tensor('float32', input, [1, 3, size, size]) });
    const prompts = objects.map((o) => promptForMask(o.mask, scene.width, scene.height));
    const n = objects.length;
    const batches = {
      // point + padding point (0,0) labelled −1: Meta's form for point-only prompts
      point: { coords: prompts.flatMap((p) => [p.point[0], p.point[1], 0, 0]), labels: prompts.flatMap(() => [1, -1]) },
      box: { coords: prompts.flatMap((p) => p.box), labels: prompts.flatMap(() => [2, 3]) },
    };
    for (const [promptKind, batch] of Object.entries(batches) as ['point' | 'box', typeof batches.point][]) {
      const out = await decoder.run({
        image_embeddings: embeddings,
        point_coords: new ort.Tensor('float32', Float32Array.from(batch.coords), [n, 2, 2]),
        point_labels: new ort.Tensor('float32', Float32Array.from(batch.labels), [n, 2]),
        mask_input: new ort.Tensor('float32', new Float32Array(n * low * low), [n, 1, low, low]),
        has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
        orig_im_size: new ort.Tensor('float32', Float32Array.from([scene.height, scene.width]), [2]),
      });
      const masks = out.masks.data as Float32Array;
      const iou = out.iou_predictions.data as Float32Array;
      const pixels = scene.width * scene.height;
      objects.forEach((object, b) => {
        const token = pickMultimask(iou, b);
        const logits = masks.subarray((b * 4 + token) * pixels, (b * 4 + token + 1) * pixels);
        const predicted = Uint8Array.from(logits, (v) => (v > 0 ? 1 : 0));
        results.push({ kind: object.kind, prompt: promptKind, iou: maskIoU(predicted, object.mask) });
      });
    }
  }
  const mean = (prompt: 'point' | 'box') => {
    const values = results.filter((r) => r.prompt === prompt).map((r) => r.iou);
    return values.reduce((a, b) => a + b, 0) / values.length;
  };
  return { prompts: options.prompts, seed, pointMIoU: mean('point'), boxMIoU: mean('box'), results };
}

/** Rows: every kind, then all; columns: count, point mIoU, box mIoU. */
export function formatTable(evaluation: DemoEvaluation): string {
  const kinds = [...new Set(evaluation.results.map((r) => r.kind))].sort();
  const row = (label: string, rs: PromptResult[]) => {
    const m = (p: string) => {
      const v = rs.filter((r) => r.prompt === p).map((r) => r.iou);
      return (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3);
    };
    return `| ${label.padEnd(8)} | ${String(rs.length / 2).padStart(7)} | ${m('point').padStart(11)} | ${m('box').padStart(9)} |`;
  };
  return [
    '| objects  | prompts | point mIoU  | box mIoU  |',
    '|----------|---------|-------------|-----------|',
    ...kinds.map((k) => row(k, evaluation.results.filter((r) => r.kind === k))),
    row('all', evaluation.results),
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const parsed = Number(args[i + 1]);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} needs a positive integer, got ${args[i + 1]}`);
    return parsed;
  };
  const prompts = value('--prompts', 240);
  const seed = value('--seed', DEFAULT_EVAL_SEED);
  const started = performance.now();
  const modelIndex = args.indexOf('--model');
  const modelDir = modelIndex >= 0 ? args[modelIndex + 1] : DEFAULT_MODEL_DIR;
  if (!modelDir) throw new Error('--model needs a folder with model.json, encoder.onnx and decoder.onnx');
  const evaluation = await evaluateDemo({ prompts, seed, modelDir });
  console.log(`demo SAM held-out evaluation: ${prompts} objects (each as point and as box), scene seeds from ${seed}`);
  console.log(formatTable(evaluation));
  console.log(`targets: point ≥ 0.80, box ≥ 0.85; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (args.includes('--update-model-json')) {
    const path = join(modelDir, 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    json.measured = {
      evalScript: 'tools/eval-demo.ts',
      objects: prompts,
      sceneSeed: seed,
      selection: 'multimask token (1..3) with the highest predicted IoU, logits > 0',
      pointMIoU: Number(evaluation.pointMIoU.toFixed(4)),
      boxMIoU: Number(evaluation.boxMIoU.toFixed(4)),
    };
    writeFileSync(path, JSON.stringify(json, null, 2) + '\n');
    console.log(`wrote measured mIoU to ${path}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
