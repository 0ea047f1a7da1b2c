/**
 * Prompts for an object of a scene: a positive point deep inside its visible mask (the pixel
 * farthest from any outside pixel, the image border counting as outside) and its box.
 */
import { maskBox } from './scene.ts';

export interface ObjectPrompt {
  /** Pixel indices (x, y) of the deepest visible pixel. */
  point: [number, number];
  /** Euclidean distance in pixels from that point to the nearest pixel outside the mask. */
  depth: number;
  /** Tight inclusive box [x0, y0, x1, y1]. */
  box: [number, number, number, number];
}

const FAR = 1e20;

/** 1-D squared distance transform (Felzenszwalb & Huttenlocher) of f into out. */
function distanceTransform1d(f: Float64Array, n: number, out: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    out[q] = (q - v[k]) * (q - v[k]) + f[v[k]];
  }
}

/**
 * Squared Euclidean distance of every pixel to the nearest 0-pixel, with a ring of 0-pixels
 * around the image (so the border counts as outside). Exact (separable two-pass transform).
 */
export function squaredDistanceToOutside(mask: Uint8Array, width: number, height: number): Float64Array {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  const w = width + 2;
  const h = height + 2;
  const grid = new Float64Array(w * h);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) grid[(y + 1) * w + x + 1] = mask[y * width + x] ? FAR : 0;
  }
  const n = Math.max(w, h);
  const f = new Float64Array(n);
  const out = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = grid[y * w + x];
    distanceTransform1d(f, h, out, v, z);
    for (let y = 0; y < h; y++) grid[y * w + x] = out[y];
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) f[x] = grid[y * w + x];
    distanceTransform1d(f, w, out, v, z);
    for (let x = 0; x < w; x++) grid[y * w + x] = out[x];
  }
  const result = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) result[y * width + x] = grid[(y + 1) * w + x + 1];
  }
  return result;
}

/** The deepest point (first in raster order among ties) and the box of a non-empty mask. */
export function promptForMask(mask: Uint8Array, width: number, height: number): ObjectPrompt {
  const box = maskBox(mask, width, height);
  if (!box) throw new Error('cannot choose a prompt for an empty mask');
  const dist2 = squaredDistanceToOutside(mask, width, height);
  let best = -1;
  for (let p = 0; p < dist2.length; p++) if (mask[p] && (best < 0 || dist2[p] > dist2[best])) best = p;
  return { point: [best % width, Math.floor(best / width)], depth: Math.sqrt(dist2[best]), box };
}
