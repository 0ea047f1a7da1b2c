/**
 * Decoder feeds for all prompts of one image, built from the sam/ prompt helpers: one batched run when
 * the decoder's prompt axis is symbolic (the demo model), else as many runs as the graph's fixed prompt
 * batch asks (every official export: one prompt per run). Each prompt carries two points so that boxes
 * and clicks share one batch: a box is its two corners (labels 2, 3); a click is the point and Meta's
 * padding point (label −1).
 */
import { pointLabel, scaleToModelFrame } from '../sam/promptFeeds';
import type { ImageSize, PlainFeeds } from '../sam/types';
import type { CalibrationPrompt } from './calibrationPrompts';

export interface BatchedDecoderIo {
  family: 'meta' | 'transformers';
  /** All decoder input names, so optional Meta inputs are fed only when present. */
  inputNames: readonly string[];
  /** S: the side of the encoder's input frame. */
  inputSize: number;
  /** Side of Meta's mask_input plane. */
  maskInputSize: number;
  /** Prompts per run when the graph fixes its prompt axis (DetectedDecoder.promptBatch), else null. */
  promptBatch: number | null;
}

/** The decoder runs that decode a list of prompts, and the output axis along which their results line up. */
export interface PromptRuns<F = PlainFeeds> {
  runs: F[];
  /** Prompt axis of the decoder's outputs (Meta: 0; transformers.js: 1, after the image axis). */
  promptAxis: number;
  prompts: number;
}

function promptPoints(prompt: CalibrationPrompt): { coords: [number, number][]; labels: number[] } {
  if (prompt.kind === 'box') {
    return {
      coords: [
        [Math.min(prompt.x0, prompt.x1), Math.min(prompt.y0, prompt.y1)],
        [Math.max(prompt.x0, prompt.x1), Math.max(prompt.y0, prompt.y1)],
      ],
      labels: [pointLabel.boxTopLeft, pointLabel.boxBottomRight],
    };
  }
  return {
    coords: [
      [prompt.x, prompt.y],
      [0, 0],
    ],
    labels: [prompt.positive ? pointLabel.positive : pointLabel.negative, pointLabel.padding],
  };
}

/** Feeds decoding the prompts of an image in as few runs as the graph allows (see PromptRuns). */
export function decoderPromptRuns(prompts: readonly CalibrationPrompt[], image: ImageSize, io: BatchedDecoderIo): PromptRuns {
  if (prompts.length === 0) throw new Error('an image needs at least one prompt to be analysed');
  const promptAxis = io.family === 'transformers' ? 1 : 0;
  const size = io.promptBatch;
  if (size === null) return { runs: [batchedDecoderFeeds(prompts, image, io)], promptAxis, prompts: prompts.length };
  if (prompts.length % size !== 0) {
    throw new Error(`The decoder takes exactly ${size} prompts per run (its prompt axis is fixed); ${prompts.length} prompts do not divide into runs of ${size}. Choose a multiple of ${size} prompts per image.`);
  }
  const runs: PlainFeeds[] = [];
  for (let start = 0; start < prompts.length; start += size) runs.push(batchedDecoderFeeds(prompts.slice(start, start + size), image, io));
  return { runs, promptAxis, prompts: prompts.length };
}

/** Feeds decoding the given prompts in one run: point_coords [B,2,2], point_labels [B,2], … */
function batchedDecoderFeeds(prompts: readonly CalibrationPrompt[], image: ImageSize, io: BatchedDecoderIo): PlainFeeds {
  const batch = prompts.length;
  const coords: number[] = [];
  const labels: number[] = [];
  for (const prompt of prompts) {
    const points = promptPoints(prompt);
    // Meta's padding point stays at (0,0); only real points move into the model frame.
    const scaled = scaleToModelFrame(points.coords, image, io.inputSize);
    points.labels.forEach((label, k) => coords.push(...(label === pointLabel.padding ? [0, 0] : scaled[k])));
    labels.push(...points.labels);
  }
  if (io.family === 'transformers') {
    return {
      input_points: { type: 'float32', dims: [1, batch, 2, 2], data: Float32Array.from(coords) },
      input_labels: { type: 'int64', dims: [1, batch, 2], data: BigInt64Array.from(labels.map(BigInt)) },
    };
  }
  const feeds: PlainFeeds = {
    point_coords: { type: 'float32', dims: [batch, 2, 2], data: Float32Array.from(coords) },
    point_labels: { type: 'float32', dims: [batch, 2], data: Float32Array.from(labels) },
  };
  const has = (name: string) => io.inputNames.includes(name);
  const side = io.maskInputSize;
  if (has('mask_input')) feeds.mask_input = { type: 'float32', dims: [batch, 1, side, side], data: new Float32Array(batch * side * side) };
  if (has('has_mask_input')) feeds.has_mask_input = { type: 'float32', dims: [1], data: new Float32Array([0]) };
  if (has('orig_im_size')) feeds.orig_im_size = { type: 'float32', dims: [2], data: new Float32Array([image.height, image.width]) };
  return feeds;
}

/** Which prompts want SAM's single mask (boxes) rather than the best of its multimask outputs (clicks). */
export function singleMaskPrompts(prompts: readonly CalibrationPrompt[]): boolean[] {
  return prompts.map((prompt) => prompt.kind === 'box');
}
