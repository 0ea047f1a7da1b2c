/** Vocabulary shared by the SAM format adapters. Plain data: no onnxruntime types, so core stays runtime-free. */

/** How a SAM export expects to be fed. The decoder of `meta` and `samexporter` is the same (Meta's IO). */
export type SamFormat = 'meta' | 'samexporter' | 'transformers';

export type SamPart = 'encoder' | 'decoder';

/** One input or output of a model, as a runtime reports it (a symbolic dimension is a string). */
export interface TensorSpec {
  name: string;
  /** Element type as onnxruntime names it: 'float32', 'int64', … ('' when unknown). */
  type: string;
  /** Dimensions; empty when the model does not say. */
  shape: readonly (number | string)[];
}

export interface ModelSignature {
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
}

/** A tensor as plain arrays; the worker wraps it for onnxruntime. */
export type PlainTensor =
  | { type: 'float32'; dims: readonly number[]; data: Float32Array }
  | { type: 'int64'; dims: readonly number[]; data: BigInt64Array };

export type PlainFeeds = Record<string, PlainTensor>;

/** A click on the image, in image pixels. Positive = "this is the object", negative = "this is not". */
export interface PointPrompt {
  x: number;
  y: number;
  positive: boolean;
}

/** A box dragged on the image, in image pixels (any two opposite corners). */
export interface BoxPrompt {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface Prompts {
  points: readonly PointPrompt[];
  box: BoxPrompt | null;
}

export interface ImageSize {
  width: number;
  height: number;
}
