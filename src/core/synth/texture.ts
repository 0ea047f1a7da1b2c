/**
 * Fill textures of objects and backgrounds: a blend factor t ∈ [0,1] between two colours,
 * as a function of pixel position (README "Scene recipe": solid, gradient, stripes, checker,
 * smooth noise with probabilities .35/.25/.15/.10/.15).
 */
import type { Random } from './random.ts';

export type TextureKind = 'solid' | 'gradient' | 'stripes' | 'checker' | 'noise';
const TEXTURE_KINDS: readonly TextureKind[] = ['solid', 'gradient', 'stripes', 'checker', 'noise'];
const TEXTURE_WEIGHTS = [0.35, 0.25, 0.15, 0.1, 0.15];
const NOISE_GRID = 8;

/** t(dx, dy) for offsets from the texture's centre, given the canvas size (for the noise grid). */
export type BlendField = (dx: number, dy: number, x: number, y: number) => number;

/**
 * A random texture. `extent` scales the gradient (its ramp spans 2·extent); the smooth noise is
 * an 8×8 random grid upsampled bilinearly to the canvas (half-pixel centres, as
 * F.interpolate(align_corners=False)).
 */
export function randomTexture(random: Random, extent: number, canvasSize: number): { kind: TextureKind; blend: BlendField } {
  const kind = TEXTURE_KINDS[random.pick(TEXTURE_WEIGHTS)];
  const angle = random.uniform(0, 2 * Math.PI);
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  switch (kind) {
    case 'solid':
      return { kind, blend: () => 0 };
    case 'gradient':
      return { kind, blend: (dx, dy) => Math.min(1, Math.max(0, (dx * ca + dy * sa) / (2 * extent) + 0.5)) };
    case 'stripes': {
      const period = random.uniform(6, 20);
      return { kind, blend: (dx, dy) => 0.5 + 0.5 * Math.sin((2 * Math.PI * (dx * ca + dy * sa)) / period) };
    }
    case 'checker': {
      const cell = random.uniform(4, 16);
      return { kind, blend: (dx, dy) => (((Math.floor(dx / cell) + Math.floor(dy / cell)) % 2) + 2) % 2 };
    }
    case 'noise': {
      const grid = Float64Array.from({ length: NOISE_GRID * NOISE_GRID }, () => random.next());
      const scale = NOISE_GRID / canvasSize;
      return { kind, blend: (_dx, _dy, x, y) => bilinear(grid, (x + 0.5) * scale - 0.5, (y + 0.5) * scale - 0.5) };
    }
  }
}

function bilinear(grid: Float64Array, gx: number, gy: number): number {
  const cx = Math.min(NOISE_GRID - 1, Math.max(0, gx));
  const cy = Math.min(NOISE_GRID - 1, Math.max(0, gy));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(NOISE_GRID - 1, x0 + 1);
  const y1 = Math.min(NOISE_GRID - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const top = grid[y0 * NOISE_GRID + x0] * (1 - fx) + grid[y0 * NOISE_GRID + x1] * fx;
  const bottom = grid[y1 * NOISE_GRID + x0] * (1 - fx) + grid[y1 * NOISE_GRID + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

export type Rgb = [number, number, number];

/** A base colour and a second one near it (per-channel normal offset, σ = 40). */
export function randomColorPair(random: Random): [Rgb, Rgb] {
  const c1: Rgb = [random.uniform(0, 255), random.uniform(0, 255), random.uniform(0, 255)];
  const c2 = c1.map((c) => Math.min(255, Math.max(0, c + 40 * random.normal()))) as Rgb;
  return [c1, c2];
}
