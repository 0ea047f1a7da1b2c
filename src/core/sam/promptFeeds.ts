import { resizedSize } from './preprocess';
import type { ImageSize, PlainTensor, Prompts } from './types';

/** SAM's point labels (METHOD.md, "Meta decoder export"). */
export const pointLabel = { negative: 0, positive: 1, boxTopLeft: 2, boxBottomRight: 3, padding: -1 } as const;

/** Points and labels in the order SAM reads them: clicks first, then the box's two corners. */
export interface PromptPointList {
  coords: Array<[number, number]>;
  labels: number[];
}

/** Turns clicks and a box (image pixels) into SAM's point list, still in image pixels. */
export function promptPointList(prompts: Prompts): PromptPointList {
  if (prompts.points.length === 0 && !prompts.box) {
    throw new Error('Add a point or a box before asking for a mask.');
  }
  const coords: Array<[number, number]> = [];
  const labels: number[] = [];
  for (const point of prompts.points) {
    coords.push([point.x, point.y]);
    labels.push(point.positive ? pointLabel.positive : pointLabel.negative);
  }
  if (prompts.box) {
    const { x0, y0, x1, y1 } = prompts.box;
    coords.push([Math.min(x0, x1), Math.min(y0, y1)], [Math.max(x0, x1), Math.max(y0, y1)]);
    labels.push(pointLabel.boxTopLeft, pointLabel.boxBottomRight);
  }
  return { coords, labels };
}

/**
 * Maps image pixels to the resized frame the encoder saw: x·(newW/w), y·(newH/h) with Meta's rounding
 * of the resized size (METHOD.md, "Point scaling").
 */
export function scaleToModelFrame(coords: ReadonlyArray<readonly [number, number]>, image: ImageSize, side: number): Array<[number, number]> {
  const resized = resizedSize(image, side);
  const sx = resized.width / image.width;
  const sy = resized.height / image.height;
  return coords.map(([x, y]) => [x * sx, y * sy]);
}

/** Meta's decoder feeds for the prompts: point_coords [1,N,2], point_labels [1,N], and the optional inputs it has. */
export function metaPromptFeeds(
  prompts: Prompts,
  image: ImageSize,
  side: number,
  options: { inputNames: readonly string[]; maskInputSize: number },
): Record<string, PlainTensor> {
  const list = promptPointList(prompts);
  const coords = scaleToModelFrame(list.coords, image, side);
  const labels = [...list.labels];
  // Without a box, Meta's export expects a padding point (0,0) labelled −1.
  if (!prompts.box) {
    coords.push([0, 0]);
    labels.push(pointLabel.padding);
  }
  const feeds: Record<string, PlainTensor> = {
    point_coords: { type: 'float32', dims: [1, coords.length, 2], data: Float32Array.from(coords.flat()) },
    point_labels: { type: 'float32', dims: [1, labels.length], data: Float32Array.from(labels) },
  };
  const has = (name: string) => options.inputNames.includes(name);
  if (has('mask_input')) {
    const side = options.maskInputSize;
    feeds.mask_input = { type: 'float32', dims: [1, 1, side, side], data: new Float32Array(side * side) };
  }
  if (has('has_mask_input')) feeds.has_mask_input = { type: 'float32', dims: [1], data: new Float32Array([0]) };
  if (has('orig_im_size')) {
    feeds.orig_im_size = { type: 'float32', dims: [2], data: new Float32Array([image.height, image.width]) };
  }
  return feeds;
}

/**
 * transformers.js decoder feeds: input_points [1,1,N,2] (resized frame) and input_labels [1,1,N] int64.
 * Its graph adds the padding point itself when there is no box, so none is appended here.
 */
export function transformersPromptFeeds(prompts: Prompts, image: ImageSize, side: number): Record<string, PlainTensor> {
  const list = promptPointList(prompts);
  const coords = scaleToModelFrame(list.coords, image, side);
  return {
    input_points: { type: 'float32', dims: [1, 1, coords.length, 2], data: Float32Array.from(coords.flat()) },
    input_labels: { type: 'int64', dims: [1, 1, list.labels.length], data: BigInt64Array.from(list.labels.map(BigInt)) },
  };
}
