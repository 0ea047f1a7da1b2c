import { assertRgbaImage, type RgbaImage } from './rgbaImage';

/**
 * Resizes RGBA pixels with a triangle (bilinear) filter that widens when shrinking, as PIL's
 * `Image.resize(..., BILINEAR)` does. SAM's reference preprocessing (Meta's ResizeLongestSide and
 * transformers' SamImageProcessor) resizes through PIL, so this reproduces its inputs to within
 * ±1 level (PIL rounds between its two passes; we round once at the end).
 */
export function resizeRgba(image: RgbaImage, outWidth: number, outHeight: number): RgbaImage {
  assertRgbaImage(image);
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth <= 0 || outHeight <= 0) {
    throw new Error(`Cannot resize to ${outWidth}×${outHeight}: the size must be positive whole pixels.`);
  }
  const { width, height, data } = image;
  const horizontal = filterTaps(width, outWidth);
  const vertical = filterTaps(height, outHeight);

  // Pass 1: rows (width → outWidth), kept in floats.
  const rows = new Float32Array(outWidth * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      const { start, weights } = horizontal[x];
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < weights.length; k++) {
        const src = (y * width + start + k) * 4;
        const w = weights[k];
        r += data[src] * w;
        g += data[src + 1] * w;
        b += data[src + 2] * w;
        a += data[src + 3] * w;
      }
      const dst = (y * outWidth + x) * 4;
      rows[dst] = r;
      rows[dst + 1] = g;
      rows[dst + 2] = b;
      rows[dst + 3] = a;
    }
  }

  // Pass 2: columns (height → outHeight), rounded to 8 bits.
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y++) {
    const { start, weights } = vertical[y];
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += rows[((start + k) * outWidth + x) * 4 + c] * weights[k];
        out[(y * outWidth + x) * 4 + c] = Math.round(sum); // Uint8ClampedArray clips to 0–255
      }
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}

interface Taps {
  start: number;
  weights: Float64Array;
}

/** Per output pixel: the first input pixel it reads and the normalized triangle weights (PIL's precompute_coeffs). */
export function filterTaps(inSize: number, outSize: number): Taps[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1); // widen the triangle when shrinking: antialiasing
  const support = filterScale; // triangle support is 1 input pixel, scaled
  const taps: Taps[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inSize);
    const weights = new Float64Array(end - start);
    let total = 0;
    for (let k = 0; k < weights.length; k++) {
      const distance = (start + k - center + 0.5) / filterScale;
      const w = Math.max(0, 1 - Math.abs(distance));
      weights[k] = w;
      total += w;
    }
    if (total > 0) for (let k = 0; k < weights.length; k++) weights[k] /= total;
    taps.push({ start, weights });
  }
  return taps;
}

/**
 * Bilinear resize of a float plane with half-pixel centres and edge clamping, as
 * torch.nn.functional.interpolate(mode='bilinear', align_corners=False) — the way SAM's
 * postprocessing upsamples mask logits. No antialiasing (logits are only ever enlarged or cropped).
 */
export function resizePlaneBilinear(
  plane: Float32Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  if (plane.length !== width * height) {
    throw new Error(`A ${width}×${height} plane needs ${width * height} values, got ${plane.length}.`);
  }
  const out = new Float32Array(outWidth * outHeight);
  const scaleX = width / outWidth;
  const scaleY = height / outHeight;
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.max((y + 0.5) * scaleY - 0.5, 0);
    const y0 = Math.min(Math.floor(sy), height - 1);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = sy - y0;
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.max((x + 0.5) * scaleX - 0.5, 0);
      const x0 = Math.min(Math.floor(sx), width - 1);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = sx - x0;
      const top = plane[y0 * width + x0] * (1 - fx) + plane[y0 * width + x1] * fx;
      const bottom = plane[y1 * width + x0] * (1 - fx) + plane[y1 * width + x1] * fx;
      out[y * outWidth + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
