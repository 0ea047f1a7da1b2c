/**
 * Procedural scenes with exact ground truth: 1–8 objects painted back to front over a textured
 * background; each object's mask holds its visible pixels after occlusion. Deterministic: the
 * same seed gives the same bytes. Used as the demo model's held-out set and the studio's samples.
 */
import { createRandom } from './random.ts';
import { randomShape, rasterizeShape, type ShapeKind } from './shapes.ts';
import { randomColorPair, randomTexture, type Rgb } from './texture.ts';

export interface SceneObject {
  kind: ShapeKind;
  /** 1 where the object is visible (width×height, row-major). */
  mask: Uint8Array;
  /** Tight box of the visible mask, inclusive pixel indices [x0, y0, x1, y1]; null when hidden. */
  box: [number, number, number, number] | null;
  visiblePixels: number;
}

export interface Scene {
  width: number;
  height: number;
  /** RGBA, alpha 255. */
  rgba: Uint8ClampedArray;
  /** In painting order (later objects occlude earlier ones). */
  objects: SceneObject[];
}

export interface SceneOptions {
  /** Canvas side in pixels (default 256, the demo model's input size). */
  size?: number;
  /** Number of objects; default uniform in 1..8. */
  objectCount?: number;
}

/** Objects whose visible part is smaller than this are not used as prompt targets. */
export const MIN_VISIBLE_PIXELS = 40;
/** Mean absolute RGB difference under which an object's colours are inverted (contrast rule). */
const MIN_CONTRAST = 40;

export function generateScene(seed: number, options: SceneOptions = {}): Scene {
  const size = options.size ?? 256;
  if (!Number.isInteger(size) || size < 16 || size > 4096) throw new Error(`scene size must be an integer in 16..4096, got ${size}`);
  const random = createRandom(seed);
  const objectCount = options.objectCount ?? random.int(1, 8);
  if (!Number.isInteger(objectCount) || objectCount < 0 || objectCount > 64) {
    throw new Error(`objectCount must be an integer in 0..64, got ${objectCount}`);
  }
  const pixels = size * size;
  const rgb = new Float64Array(pixels * 3);

  const [bg1, bg2] = randomColorPair(random);
  const bgTexture = randomTexture(random, size / 2, size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = bgTexture.blend(x - size / 2, y - size / 2, x, y);
      for (let c = 0; c < 3; c++) rgb[(y * size + x) * 3 + c] = bg1[c] + (bg2[c] - bg1[c]) * t;
    }
  }
  const bgMean = bg1.map((c, i) => (c + bg2[i]) / 2);

  // owner[p] = index of the topmost object covering p (−1: background).
  const owner = new Int16Array(pixels).fill(-1);
  const kinds: ShapeKind[] = [];
  for (let k = 0; k < objectCount; k++) {
    const shape = randomShape(random, size);
    const texture = randomTexture(random, shape.radius, size);
    let [c1, c2] = randomColorPair(random);
    const contrast = c1.reduce((sum, c, i) => sum + Math.abs(c - bgMean[i]), 0) / 3;
    if (contrast < MIN_CONTRAST) {
      c1 = c1.map((c) => 255 - c) as Rgb;
      c2 = c2.map((c) => 255 - c) as Rgb;
    }
    const inside = rasterizeShape(shape, size, size);
    for (let p = 0; p < pixels; p++) {
      if (!inside[p]) continue;
      const x = p % size;
      const y = (p - x) / size;
      const t = texture.blend(x - shape.centerX, y - shape.centerY, x, y);
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = c1[c] + (c2[c] - c1[c]) * t;
      owner[p] = k;
    }
    kinds.push(shape.kind);
  }

  const sigma = random.uniform(0, 8);
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(rgb[p * 3 + c] + sigma * random.normal());
    rgba[p * 4 + 3] = 255;
  }

  const objects = kinds.map((kind, k) => {
    const mask = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) if (owner[p] === k) mask[p] = 1;
    const box = maskBox(mask, size, size);
    return { kind, mask, box, visiblePixels: box ? countOnes(mask) : 0 };
  });
  return { width: size, height: size, rgba, objects };
}

/** Tight inclusive box [x0, y0, x1, y1] of the 1-pixels of a mask, or null when empty. */
export function maskBox(mask: Uint8Array, width: number, height: number): [number, number, number, number] | null {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width}×${height}`);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : [x0, y0, x1, y1];
}

function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}
