/**
 * How two masks agree: the counts behind IoU, the difference overlay of the preview (pixels only in the
 * full-precision mask, only in the mixed-precision one) and mIoU over many prompts.
 */
import type { Rgba } from '../image/maskOps';
import type { BinaryMask } from '../image/rgbaImage';

export interface MaskAgreement {
  /** Pixels inside both masks. */
  both: number;
  /** Pixels inside the reference (e.g. FP) only. */
  onlyReference: number;
  /** Pixels inside the compared mask (e.g. mixed precision) only. */
  onlyCompared: number;
  /** both / (both + onlyReference + onlyCompared); two empty masks agree perfectly (1), as core/image/maskIoU. */
  iou: number;
}

function checkSameSize(a: BinaryMask, b: BinaryMask): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`Cannot compare a ${a.width}×${a.height} mask with a ${b.width}×${b.height} mask.`);
  }
  if (a.data.length !== a.width * a.height || b.data.length !== b.width * b.height) {
    throw new Error(`A ${a.width}×${a.height} mask must hold ${a.width * a.height} pixels.`);
  }
}

export function maskAgreement(reference: BinaryMask, compared: BinaryMask): MaskAgreement {
  checkSameSize(reference, compared);
  let both = 0;
  let onlyReference = 0;
  let onlyCompared = 0;
  for (let i = 0; i < reference.data.length; i++) {
    const inReference = reference.data[i] !== 0;
    const inCompared = compared.data[i] !== 0;
    if (inReference && inCompared) both++;
    else if (inReference) onlyReference++;
    else if (inCompared) onlyCompared++;
  }
  const union = both + onlyReference + onlyCompared;
  return { both, onlyReference, onlyCompared, iou: union === 0 ? 1 : both / union };
}

/**
 * The difference overlay: pixels only in the reference painted `onlyReferenceColor`, only in the compared
 * mask `onlyComparedColor`, shared pixels `bothColor` (transparent by default), the rest transparent.
 */
export function differenceOverlayRgba(
  reference: BinaryMask,
  compared: BinaryMask,
  colors: { onlyReference: Rgba; onlyCompared: Rgba; both?: Rgba },
): Uint8ClampedArray {
  checkSameSize(reference, compared);
  const out = new Uint8ClampedArray(reference.data.length * 4);
  for (let i = 0; i < reference.data.length; i++) {
    const inReference = reference.data[i] !== 0;
    const inCompared = compared.data[i] !== 0;
    const color = inReference && inCompared ? colors.both : inReference ? colors.onlyReference : inCompared ? colors.onlyCompared : undefined;
    if (color) out.set(color, i * 4);
  }
  return out;
}

/** Mean of the values that are known (null entries, e.g. prompts without ground truth, are skipped); null when none is. */
export function meanIoU(values: readonly (number | null)[]): number | null {
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (value === null) continue;
    if (!(value >= 0 && value <= 1)) throw new Error(`An IoU lies in [0, 1], got ${value}.`);
    sum += value;
    count++;
  }
  return count === 0 ? null : sum / count;
}
