/**
 * Binary masks at image size for every prompt of a batched decoder run (analysis/calibrationFeeds.ts):
 * the mask SAM shows for each prompt (analysis/distribution.ts selectMasks), upsampled from its
 * low-resolution logits as SAM's postprocess_masks does (sam/maskPostprocess.ts), thresholded.
 */
import { maskLogitsShape, selectMasks } from '../analysis/distribution';
import type { BinaryMask } from '../image/rgbaImage';
import { lowResLogitsToImage, thresholdLogits } from '../sam/maskPostprocess';
import type { ImageSize } from '../sam/types';

export interface LogitsTensor {
  dims: readonly number[];
  data: Float32Array;
}

/** [B, M, H, W]; transformers.js exports add a leading image axis [1, B, M, H, W]. */
function promptMaskShape(dims: readonly number[]) {
  return maskLogitsShape(dims.length === 5 ? [dims[0] * dims[1], dims[2], dims[3], dims[4]] : dims);
}

export interface PromptMaskOptions {
  /** Side S of the encoder's input frame (the low-res plane covers the padded S×S input). */
  inputSize: number;
  /** Logit above which a pixel is inside (SAM: 0). */
  threshold?: number;
}

/**
 * One mask per prompt. `singleMask[b]` (boxes) takes SAM's single-mask output; otherwise the multimask
 * output with the highest predicted IoU. `selected` overrides the choice (a quantized run is compared on
 * the mask the FP run chose, as the analysis does).
 */
export function promptMasks(
  lowRes: LogitsTensor,
  iouPredictions: Float32Array,
  singleMask: readonly boolean[],
  image: ImageSize,
  options: PromptMaskOptions & { selected?: Int32Array },
): { masks: BinaryMask[]; selected: Int32Array } {
  const shape = promptMaskShape(lowRes.dims);
  if (shape.height !== shape.width) {
    throw new Error(`The decoder's low-resolution masks are ${shape.width}×${shape.height}; expected a square covering the padded input.`);
  }
  if (shape.prompts !== singleMask.length) throw new Error(`The decoder returned masks for ${shape.prompts} prompts, ${singleMask.length} were asked.`);
  const selected = options.selected ?? selectMasks(iouPredictions, shape.masksPerPrompt, singleMask);
  const plane = shape.height * shape.width;
  const masks: BinaryMask[] = [];
  for (let b = 0; b < shape.prompts; b++) {
    const offset = (b * shape.masksPerPrompt + selected[b]) * plane;
    const logits = lowResLogitsToImage(lowRes.data.subarray(offset, offset + plane), shape.width, image, options.inputSize);
    masks.push(thresholdLogits(logits, image.width, image.height, options.threshold ?? 0));
  }
  return { masks, selected };
}
