/**
 * The prompts an evaluation scores: the analysis' calibration prompts (analysis/calibrationPrompts.ts)
 * of each image, each paired with the ground-truth object it was made from when the image has one
 * (generated samples: a prompt box equal to an object's box aims at that object).
 */
import { calibrationPrompts, type CalibrationPrompt } from '../analysis/calibrationPrompts';
import type { BinaryMask, RgbaImage } from '../image/rgbaImage';
import type { BoxPrompt } from '../sam/types';

export interface EvaluationSource {
  name: string;
  image: RgbaImage;
  /** Known objects (mask at image size and box in pixel edges); absent for the user's own images. */
  truth?: readonly { mask: BinaryMask; box: BoxPrompt }[] | null;
  clicks?: readonly { x: number; y: number; positive: boolean }[];
}

export interface EvaluationItem {
  name: string;
  image: RgbaImage;
  prompts: CalibrationPrompt[];
  /** Per prompt: the true mask it aims at, or null when unknown. */
  truth: (BinaryMask | null)[];
}

function sameBox(a: BoxPrompt, prompt: CalibrationPrompt): boolean {
  return prompt.kind === 'box' && a.x0 === prompt.x0 && a.y0 === prompt.y0 && a.x1 === prompt.x1 && a.y1 === prompt.y1;
}

export function evaluationItems(sources: readonly EvaluationSource[], promptsPerImage: number, gridSize: number): EvaluationItem[] {
  return sources.map((source) => {
    const truth = source.truth ?? [];
    const prompts = calibrationPrompts(
      {
        width: source.image.width,
        height: source.image.height,
        boxes: truth.length > 0 ? truth.map((object) => object.box) : undefined,
        clicks: source.clicks && source.clicks.length > 0 ? source.clicks : undefined,
      },
      promptsPerImage,
      gridSize,
    );
    return {
      name: source.name,
      image: source.image,
      prompts,
      truth: prompts.map((prompt) => truth.find((object) => sameBox(object.box, prompt))?.mask ?? null),
    };
  });
}
