import type { BinaryMask } from './rgbaImage';

/** Number of pixels inside the mask. */
export function maskArea(mask: BinaryMask): number {
  let area = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) area++;
  return area;
}

/**
 * Intersection over union of two masks of the same size. Two empty masks agree perfectly (1):
 * "nothing there" predicted for "nothing there" is right.
 */
export function maskIoU(a: BinaryMask, b: BinaryMask): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`Cannot compare a ${a.width}×${a.height} mask with a ${b.width}×${b.height} mask.`);
  }
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    const inA = a.data[i] !== 0;
    const inB = b.data[i] !== 0;
    if (inA && inB) intersection++;
    if (inA || inB) union++;
  }
  return union === 0 ? 1 : intersection / union;
}

/** RGBA colour, each channel 0–255. */
export type Rgba = readonly [number, number, number, number];

/** Paints mask pixels in one colour over transparency: the overlay drawn on top of the image. */
export function maskToOverlayRgba(mask: BinaryMask, color: Rgba): Uint8ClampedArray {
  const out = new Uint8ClampedArray(mask.width * mask.height * 4);
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    out[i * 4] = color[0];
    out[i * 4 + 1] = color[1];
    out[i * 4 + 2] = color[2];
    out[i * 4 + 3] = color[3];
  }
  return out;
}
