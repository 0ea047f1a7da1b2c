/**
 * The output distribution of METHOD.md "Output distribution": sigmoid of the selected low-res mask
 * logits of every prompt of one image, flattened, normalized to sum 1, clamped at ε. Float64 throughout,
 * because KL values of single-unit probes are tiny differences of nearly equal distributions.
 */

/** Shape of a decoder's low-res mask output: [prompts, masks per prompt, height, width]. */
export interface MaskLogitsShape {
  prompts: number;
  masksPerPrompt: number;
  height: number;
  width: number;
}

/** Reads the [B, M, H, W] shape of a low-res mask tensor, with a clear error for anything else. */
export function maskLogitsShape(dims: readonly number[]): MaskLogitsShape {
  if (dims.length !== 4 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`low-res masks must have shape [prompts, masks, height, width], got [${dims.join(', ')}]`);
  }
  return { prompts: dims[0], masksPerPrompt: dims[1], height: dims[2], width: dims[3] };
}

/**
 * Builds P_t (or Q_t) from one image's batched low-res logits.
 * `selectedMask[b]` is the mask index taken for prompt b; the reference run chooses it and perturbed
 * runs reuse it, so a probe is compared against the same mask rather than a different one it "prefers".
 * The clamp follows normalization as METHOD.md orders it, and the clamped values are normalized once
 * more: without that the two distributions do not sum to 1 and a probe with almost no effect can get a
 * slightly negative KL.
 */
export function outputDistribution(
  logits: ArrayLike<number>,
  shape: MaskLogitsShape,
  selectedMask: ArrayLike<number>,
  epsilon: number,
): Float64Array {
  const { prompts, masksPerPrompt, height, width } = shape;
  const plane = height * width;
  if (logits.length !== prompts * masksPerPrompt * plane) {
    throw new Error(`low-res masks hold ${logits.length} values, expected ${prompts * masksPerPrompt * plane}`);
  }
  if (selectedMask.length !== prompts) {
    throw new Error(`${selectedMask.length} selected masks given for ${prompts} prompts`);
  }
  const distribution = new Float64Array(prompts * plane);
  let total = 0;
  for (let b = 0; b < prompts; b++) {
    const m = selectedMask[b];
    if (!Number.isInteger(m) || m < 0 || m >= masksPerPrompt) {
      throw new Error(`selected mask ${m} of prompt ${b} is outside 0..${masksPerPrompt - 1}`);
    }
    const source = (b * masksPerPrompt + m) * plane;
    const target = b * plane;
    for (let k = 0; k < plane; k++) {
      const p = 1 / (1 + Math.exp(-logits[source + k]));
      distribution[target + k] = p;
      total += p;
    }
  }
  let clampedTotal = 0;
  for (let k = 0; k < distribution.length; k++) {
    distribution[k] = Math.max(distribution[k] / total, epsilon);
    clampedTotal += distribution[k];
  }
  for (let k = 0; k < distribution.length; k++) distribution[k] /= clampedTotal;
  return distribution;
}

/** KL(P ‖ Q) = Σ p·log(p/q), both already clamped away from zero by {@link outputDistribution}. */
export function klDivergence(p: Float64Array, q: Float64Array): number {
  if (p.length !== q.length) throw new Error(`KL of distributions of different sizes (${p.length} vs ${q.length})`);
  let kl = 0;
  for (let k = 0; k < p.length; k++) kl += p[k] * Math.log(p[k] / q[k]);
  return kl;
}

/**
 * The mask SAM shows for each prompt. A box asks for one mask: index 0 of the Meta export, the
 * single-mask token (SAM's predictor uses multimask_output=False for boxes). A point is ambiguous, so
 * SAM asks for several and shows the one with the highest predicted IoU among indices 1..M-1.
 * Ties go to the lower index.
 */
export function selectMasks(
  iouPredictions: ArrayLike<number>,
  masksPerPrompt: number,
  singleMask: readonly boolean[],
): Int32Array {
  const prompts = singleMask.length;
  if (iouPredictions.length !== prompts * masksPerPrompt) {
    throw new Error(`IoU predictions hold ${iouPredictions.length} values, expected ${prompts}×${masksPerPrompt}`);
  }
  const selected = new Int32Array(prompts);
  for (let b = 0; b < prompts; b++) {
    if (singleMask[b] || masksPerPrompt === 1) continue;
    let best = 1;
    for (let m = 2; m < masksPerPrompt; m++) {
      if (iouPredictions[b * masksPerPrompt + m] > iouPredictions[b * masksPerPrompt + best]) best = m;
    }
    selected[b] = best;
  }
  return selected;
}
