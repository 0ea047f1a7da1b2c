/**
 * Prompts of the calibration set (METHOD.md "Layer importance Ω": (repro) ≤ 16 box prompts per image).
 * Ground-truth boxes where known (synthetic scenes), else the user's clicks, else a deterministic
 * k×k grid of single positive points. Coordinates are pixels of the original image.
 */

export type CalibrationPrompt =
  | { kind: 'box'; x0: number; y0: number; x1: number; y1: number }
  | { kind: 'point'; x: number; y: number; positive: boolean };

export interface PromptSource {
  width: number;
  height: number;
  /** Ground-truth object boxes, e.g. from a synthetic scene. */
  boxes?: readonly { x0: number; y0: number; x1: number; y1: number }[];
  /** Points the user clicked on this image. */
  clicks?: readonly { x: number; y: number; positive: boolean }[];
}

/** Cell centres of a k×k grid, row by row. */
export function gridPoints(k: number, width: number, height: number): CalibrationPrompt[] {
  const points: CalibrationPrompt[] = [];
  for (let row = 0; row < k; row++) {
    for (let column = 0; column < k; column++) {
      points.push({ kind: 'point', x: ((column + 0.5) * width) / k, y: ((row + 0.5) * height) / k, positive: true });
    }
  }
  return points;
}

/** Takes `count` items spread evenly over the list (all of them if it is short enough). */
function spreadEvenly<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, j) => items[Math.floor((j * items.length) / count)]);
}

/** The prompts decoded for one image, at most `promptsPerImage`, all in one batched decoder run. */
export function calibrationPrompts(source: PromptSource, promptsPerImage: number, gridSize: number): CalibrationPrompt[] {
  if (!(source.width > 0 && source.height > 0)) {
    throw new Error(`image size must be positive, got ${source.width}×${source.height}`);
  }
  if (source.boxes && source.boxes.length > 0) {
    return spreadEvenly(
      source.boxes.map((b) => ({ kind: 'box' as const, x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 })),
      promptsPerImage,
    );
  }
  if (source.clicks && source.clicks.length > 0) {
    return spreadEvenly(
      source.clicks.map((c) => ({ kind: 'point' as const, x: c.x, y: c.y, positive: c.positive })),
      promptsPerImage,
    );
  }
  return spreadEvenly(gridPoints(gridSize, source.width, source.height), promptsPerImage);
}

/** A stable text form of prompts, part of the persistence key. */
export function promptsKey(prompts: readonly CalibrationPrompt[]): string {
  return prompts
    .map((p) => (p.kind === 'box' ? `b${p.x0},${p.y0},${p.x1},${p.y1}` : `${p.positive ? 'p' : 'n'}${p.x},${p.y}`))
    .join(';');
}
