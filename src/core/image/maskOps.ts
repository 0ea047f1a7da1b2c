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

/**
 * Paints the mask over transparency: inside pixels in `fill`, boundary pixels (inside, with a
 * 4-neighbour outside or on the image border) in `edge`, so the outline reads on any picture.
 */
export function maskToOverlayRgba(mask: BinaryMask, fill: Rgba, edge: Rgba = fill): Uint8ClampedArray {
  const { width, height, data } = mask;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!data[i]) continue;
      const onBoundary =
        x === 0 || y === 0 || x === width - 1 || y === height - 1 || !data[i - 1] || !data[i + 1] || !data[i - width] || !data[i + width];
      out.set(onBoundary ? edge : fill, i * 4);
    }
  }
  return out;
}
