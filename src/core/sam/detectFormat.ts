import type { ModelSignature, SamFormat, TensorSpec } from './types';

/** An image encoder, recognized by its input/output names (METHOD.md, "SAM ONNX formats in the wild"). */
export interface DetectedEncoder {
  part: 'encoder';
  /** meta: [1,3,S,S] normalized and padded; samexporter: [H,W,3] 0–255 resized; transformers: pixel_values. */
  format: SamFormat;
  inputName: string;
  /** S, the side the longest image side is resized to, when the input shape states it. */
  inputSize: number | null;
  /** Encoder outputs the decoder consumes under the same names. */
  embeddingNames: string[];
  /** Shape of image_embeddings as the model states it (may hold symbolic dimensions). */
  embeddingShape: readonly (number | string)[];
}

/** A prompt + mask decoder. Meta's IO also serves samexporter and MobileSAM exports. */
export interface DetectedDecoder {
  part: 'decoder';
  family: 'meta' | 'transformers';
  /** Names of all inputs, so optional ones (mask_input, orig_im_size, …) are fed only when present. */
  inputNames: string[];
  /** Side of the mask_input plane when the model states it (Meta: 4× the embedding side). */
  maskInputSize: number | null;
  /** Name of the output holding mask logits to threshold. */
  maskOutput: string;
  /** Name of the output holding predicted IoU per mask. */
  iouOutput: string;
  /** Name of the output holding the low-res mask logits ([prompts, masks, h, w]); the analysis compares these. */
  lowResOutput: string;
  /** True when the mask output is already at the original image size (Meta's `masks`, given orig_im_size). */
  masksAtImageSize: boolean;
  /** Shape of the image_embeddings input as the model states it. */
  embeddingShape: readonly (number | string)[];
  /**
   * Prompts the graph accepts per run when its prompt axis is fixed (every official export: 1), or null
   * when that axis is symbolic and any number of prompts can be decoded in one run.
   */
  promptBatch: number | null;
}

export type DetectedPart = DetectedEncoder | DetectedDecoder;

/** Raised for an ONNX that is no SAM part this studio knows; the message names what was found and expected. */
export class SamFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamFormatError';
  }
}

interface Pattern {
  label: string;
  inputs: string[];
  outputs: string[];
}

// Required names only; optional ones are looked up after a match.
const patterns: Pattern[] = [
  { label: 'Meta/samexporter encoder', inputs: ['input_image'], outputs: ['image_embeddings'] },
  { label: 'transformers.js vision_encoder', inputs: ['pixel_values'], outputs: ['image_embeddings', 'image_positional_embeddings'] },
  { label: 'Meta decoder', inputs: ['image_embeddings', 'point_coords', 'point_labels'], outputs: ['iou_predictions'] },
  {
    label: 'transformers.js prompt_encoder_mask_decoder',
    inputs: ['input_points', 'input_labels', 'image_embeddings', 'image_positional_embeddings'],
    outputs: ['iou_scores', 'pred_masks'],
  },
];

const expectation =
  'Expected a SAM encoder (input input_image [1,3,S,S] or [H,W,3], or pixel_values [B,3,1024,1024]; output image_embeddings) ' +
  'or a SAM decoder (inputs image_embeddings, point_coords, point_labels, mask_input, has_mask_input, orig_im_size → masks, iou_predictions; ' +
  'or input_points, input_labels, image_embeddings, image_positional_embeddings → iou_scores, pred_masks).';

/**
 * Tells which SAM part and format a model is from its input/output names and shapes.
 * @param fileName used only in the error message.
 */
export function detectSamPart(signature: ModelSignature, fileName = 'This model'): DetectedPart {
  const inputs = new Map(signature.inputs.map((spec) => [spec.name, spec]));
  const outputs = new Map(signature.outputs.map((spec) => [spec.name, spec]));
  const matches = (pattern: Pattern) =>
    pattern.inputs.every((name) => inputs.has(name)) && pattern.outputs.every((name) => outputs.has(name));

  const [metaEncoder, transformersEncoder, metaDecoder, transformersDecoder] = patterns;
  const embeddingShape = (outputs.get('image_embeddings') ?? inputs.get('image_embeddings'))?.shape ?? [];
  if (matches(metaEncoder)) return metaStyleEncoder(inputs.get('input_image')!, embeddingShape);
  if (matches(transformersEncoder)) {
    return {
      part: 'encoder',
      format: 'transformers',
      inputName: 'pixel_values',
      inputSize: numericDim(inputs.get('pixel_values')!.shape, 2),
      embeddingNames: ['image_embeddings', 'image_positional_embeddings'],
      embeddingShape,
    };
  }
  if (matches(metaDecoder)) {
    const maskOutput = outputs.has('masks') ? 'masks' : outputs.has('low_res_masks') ? 'low_res_masks' : null;
    if (maskOutput) {
      const hasOrigSize = inputs.has('orig_im_size');
      return {
        part: 'decoder',
        family: 'meta',
        inputNames: [...inputs.keys()],
        maskInputSize: inputs.has('mask_input') ? numericDim(inputs.get('mask_input')!.shape, 2) : null,
        maskOutput,
        iouOutput: 'iou_predictions',
        lowResOutput: lowResMaskOutput(outputs, maskOutput),
        masksAtImageSize: maskOutput === 'masks' && hasOrigSize,
        embeddingShape,
        promptBatch: numericDim(inputs.get('point_coords')!.shape, 0),
      };
    }
  }
  if (matches(transformersDecoder)) {
    return {
      part: 'decoder',
      family: 'transformers',
      inputNames: [...inputs.keys()],
      maskInputSize: null,
      maskOutput: 'pred_masks',
      iouOutput: 'iou_scores',
      lowResOutput: 'pred_masks',
      masksAtImageSize: false,
      embeddingShape,
      promptBatch: numericDim(inputs.get('input_points')!.shape, 1),
    };
  }
  throw new SamFormatError(`${quoteName(fileName)} is not a recognized SAM part. ${nearMiss(inputs, outputs)}It has ${describeSignature(signature)}. ${expectation}`);
}

/**
 * The low-res mask logits of a Meta-style decoder: `low_res_masks` where it is a 4-D output (or states no
 * shape), else another 4-D output than the upscaled masks, else the mask output itself. Meta's export script
 * names its outputs in order, so with return_extra_metrics "low_res_masks" labels the stability scores
 * ([prompts, masks]) and the low-res masks come out under a generated name ("masks.1"): the declared ranks
 * tell them apart.
 */
function lowResMaskOutput(outputs: ReadonlyMap<string, TensorSpec>, maskOutput: string): string {
  const rank = (name: string) => outputs.get(name)?.shape.length ?? 0;
  const named = outputs.get('low_res_masks');
  if (named && (rank('low_res_masks') === 4 || named.shape.length === 0)) return 'low_res_masks';
  return [...outputs.keys()].find((name) => name !== maskOutput && rank(name) === 4) ?? maskOutput;
}

function metaStyleEncoder(input: TensorSpec, embeddingShape: readonly (number | string)[]): DetectedEncoder {
  // [H,W,3] with a trailing 3 is samexporter's "resized but not normalized" input; [1,3,S,S] is Meta-style.
  const isHwc = input.shape.length === 3;
  return {
    part: 'encoder',
    format: isHwc ? 'samexporter' : 'meta',
    inputName: 'input_image',
    inputSize: isHwc ? null : numericDim(input.shape, 2),
    embeddingNames: ['image_embeddings'],
    embeddingShape,
  };
}

/** When most names of one pattern are there, say which are missing: the likeliest fix for a near-miss export. */
function nearMiss(inputs: Map<string, TensorSpec>, outputs: Map<string, TensorSpec>): string {
  let best: { label: string; missing: string[]; found: number } | null = null;
  for (const pattern of patterns) {
    const missingInputs = pattern.inputs.filter((name) => !inputs.has(name));
    const missingOutputs = pattern.outputs.filter((name) => !outputs.has(name));
    const total = pattern.inputs.length + pattern.outputs.length;
    const found = total - missingInputs.length - missingOutputs.length;
    if (found > 0 && found * 2 >= total && (!best || found > best.found)) {
      best = { label: pattern.label, missing: [...missingInputs.map((n) => `input ${n}`), ...missingOutputs.map((n) => `output ${n}`)], found };
    }
  }
  if (inputs.has('point_coords') && !outputs.has('masks') && !outputs.has('low_res_masks')) {
    return 'It looks like a Meta decoder but has no masks or low_res_masks output. ';
  }
  return best && best.missing.length > 0 ? `It looks like a ${best.label} but lacks ${best.missing.join(', ')}. ` : '';
}

/** "inputs a [1,3] float32, b [?] int64; outputs y [1] float32" — for messages a person reads. */
export function describeSignature(signature: ModelSignature): string {
  const list = (specs: readonly TensorSpec[]) =>
    specs.length === 0 ? '(none)' : specs.map((spec) => `${spec.name} [${spec.shape.join(',') || '?'}]${spec.type ? ' ' + spec.type : ''}`).join(', ');
  return `inputs ${list(signature.inputs)}; outputs ${list(signature.outputs)}`;
}

function numericDim(shape: readonly (number | string)[], index: number): number | null {
  const dim = shape[index];
  return typeof dim === 'number' && dim > 0 ? dim : null;
}

function quoteName(fileName: string): string {
  return fileName === 'This model' ? fileName : `“${fileName}”`;
}
