import { maskIoU } from '../image/maskOps';
import type { BinaryMask } from '../image/rgbaImage';
import type { BoxPrompt, Prompts } from './types';

/** A ground-truth object of a sample image. */
export interface TruthObject {
  label: string;
  mask: BinaryMask;
  box: BoxPrompt;
}

export interface TruthMatch {
  objectIndex: number;
  iou: number;
}

/**
 * Which truth object the prompts aimed at, and the predicted mask's IoU with it: the object under the
 * first positive click; else the object whose box overlaps the prompt box most; else the best-matching
 * object (so a prompt on the background still reports how close the mask is to anything).
 */
export function matchPromptedObject(predicted: BinaryMask, prompts: Prompts, objects: readonly TruthObject[]): TruthMatch | null {
  if (objects.length === 0) return null;
  let index = -1;
  const firstPositive = prompts.points.find((point) => point.positive);
  if (firstPositive) {
    const x = Math.min(Math.floor(firstPositive.x), predicted.width - 1);
    const y = Math.min(Math.floor(firstPositive.y), predicted.height - 1);
    // Later objects are painted over earlier ones: search from the top.
    for (let i = objects.length - 1; i >= 0 && index < 0; i--) {
      const mask = objects[i].mask;
      if (mask.data[y * mask.width + x]) index = i;
    }
  }
  if (index < 0 && prompts.box) {
    let best = 0;
    objects.forEach((object, i) => {
      const overlap = boxIoU(object.box, prompts.box!);
      if (overlap > best) [best, index] = [overlap, i];
    });
  }
  if (index < 0) {
    let best = -1;
    objects.forEach((object, i) => {
      const iou = maskIoU(predicted, object.mask);
      if (iou > best) [best, index] = [iou, i];
    });
  }
  return { objectIndex: index, iou: maskIoU(predicted, objects[index].mask) };
}

/** IoU of two axis-aligned boxes (corners in any order). */
export function boxIoU(a: BoxPrompt, b: BoxPrompt): number {
  const [ax0, ax1, ay0, ay1] = [Math.min(a.x0, a.x1), Math.max(a.x0, a.x1), Math.min(a.y0, a.y1), Math.max(a.y0, a.y1)];
  const [bx0, bx1, by0, by1] = [Math.min(b.x0, b.x1), Math.max(b.x0, b.x1), Math.min(b.y0, b.y1), Math.max(b.y0, b.y1)];
  const width = Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0));
  const height = Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0));
  const intersection = width * height;
  const union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - intersection;
  return union > 0 ? intersection / union : 0;
}
