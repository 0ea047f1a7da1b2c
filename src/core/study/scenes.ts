/**
 * The study's images: seeded procedural scenes (core/synth) with exact object masks. The held-out set
 * and the calibration set use seed ranges of their own, apart from each other, from the studio's sample
 * images (src/state/sampleImages.ts: seeds 2..26) and from the analysis CLI's scenes (101·k); the demo
 * model was trained on another generator altogether (tools/demo-model/synth_shapes.py).
 */
import type { AnalysisImage } from '../analysis/analysisEngine';
import type { CalibrationPrompt } from '../analysis/calibrationPrompts';
import type { EvaluationItem } from '../evaluate/evaluationItems';
import type { BinaryMask } from '../image/rgbaImage';
import { promptForMask } from '../synth/prompt';
import { generateScene, MIN_VISIBLE_PIXELS, type Scene } from '../synth/scene';

/** First seed of the held-out evaluation scenes. */
export const HELD_OUT_FIRST_SEED = 700_001;
/** First seed of the calibration scenes (analysis and activation ranges). */
export const CALIBRATION_FIRST_SEED = 500_001;

export type PromptKind = 'point' | 'box';

/** The held-out prompts, one evaluation item list per prompt kind (so mIoU can be split by kind). */
export interface HeldOutSet {
  seeds: number[];
  /** Objects prompted (each once by a point and once by a box). */
  objects: number;
  byKind: Record<PromptKind, EvaluationItem[]>;
}

interface TruthObject {
  mask: BinaryMask;
  /** Box in pixel edges (x1, y1 exclusive), as the studio's sample truth. */
  box: { x0: number; y0: number; x1: number; y1: number };
}

function sceneObjects(scene: Scene): TruthObject[] {
  return scene.objects
    .filter((object) => object.box !== null && object.visiblePixels >= MIN_VISIBLE_PIXELS)
    .map((object) => {
      const [x0, y0, x1, y1] = object.box!;
      return { mask: { width: scene.width, height: scene.height, data: object.mask }, box: { x0, y0, x1: x1 + 1, y1: y1 + 1 } };
    });
}

function checkCount(count: number, what: string): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`The number of ${what} must be a whole number of at least 1, got ${count}.`);
}

/**
 * Held-out scenes `firstSeed`, `firstSeed + 1`, … until `minObjects` objects are prompted (at least
 * `minImages` images). Every visible object (≥ MIN_VISIBLE_PIXELS) gets a single positive point at its
 * deepest pixel (synth/prompt.ts) and its tight box; each is scored against the object's true mask.
 */
export function heldOutSet(options: { minObjects: number; minImages?: number; firstSeed?: number; side?: number }): HeldOutSet {
  checkCount(options.minObjects, 'held-out objects');
  const firstSeed = options.firstSeed ?? HELD_OUT_FIRST_SEED;
  const side = options.side ?? 256;
  const byKind: Record<PromptKind, EvaluationItem[]> = { point: [], box: [] };
  const seeds: number[] = [];
  let objects = 0;
  for (let seed = firstSeed; objects < options.minObjects || seeds.length < (options.minImages ?? 1); seed++) {
    if (seed - firstSeed > 100 * options.minObjects + 1000) throw new Error('The scene generator stopped producing visible objects.');
    const scene = generateScene(seed, { size: side });
    const truth = sceneObjects(scene);
    if (truth.length === 0) continue;
    seeds.push(seed);
    objects += truth.length;
    const image = { width: scene.width, height: scene.height, data: scene.rgba };
    const name = `Held-out ${seed}`;
    const points: CalibrationPrompt[] = truth.map((object) => {
      const [x, y] = promptForMask(object.mask.data, scene.width, scene.height).point;
      return { kind: 'point', x, y, positive: true };
    });
    const boxes: CalibrationPrompt[] = truth.map((object) => ({ kind: 'box', ...object.box }));
    const masks = truth.map((object) => object.mask);
    byKind.point.push({ name, image, prompts: points, truth: masks });
    byKind.box.push({ name, image, prompts: boxes, truth: masks });
  }
  return { seeds, objects, byKind };
}

/** Calibration scenes `firstSeed`, `firstSeed + 1`, …, prompted by their objects' true boxes (METHOD.md (repro)). */
export function calibrationScenes(count: number, firstSeed = CALIBRATION_FIRST_SEED, side = 256): AnalysisImage[] {
  checkCount(count, 'calibration images');
  return Array.from({ length: count }, (_, k) => {
    const scene = generateScene(firstSeed + k, { size: side });
    return {
      name: `Calibration ${firstSeed + k}`,
      image: { width: scene.width, height: scene.height, data: scene.rgba },
      boxes: sceneObjects(scene).map((object) => object.box),
    };
  });
}
