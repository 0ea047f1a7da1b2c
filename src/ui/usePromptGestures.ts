import { useRef, useState, type PointerEvent } from 'react';
import { viewportToImage, type FittedRect } from '../core/image/viewport';
import type { BoxPrompt, PointPrompt } from '../core/sam/types';

/** Screen pixels a press must travel before it counts as a box drag rather than a click. */
const dragThresholdPx = 5;

/**
 * Turns pointer gestures on the image into prompts: click = positive point, shift-click or right-click =
 * negative point, drag = box. Coordinates come back in image pixels.
 */
export function usePromptGestures(
  rect: FittedRect | null,
  image: { width: number; height: number } | null,
  onPoint: (point: PointPrompt) => void,
  onBox: (box: BoxPrompt) => void,
) {
  const start = useRef<{ screenX: number; screenY: number; x: number; y: number; negative: boolean } | null>(null);
  const [draftBox, setDraftBox] = useState<BoxPrompt | null>(null);

  const toImage = (event: PointerEvent<Element>) => {
    const bounds = event.currentTarget.getBoundingClientRect();
    return viewportToImage(event.clientX - bounds.left, event.clientY - bounds.top, { ...rect!, left: 0, top: 0 }, image!.width, image!.height);
  };

  const onPointerDown = (event: PointerEvent<Element>) => {
    if (!rect || !image || (event.button !== 0 && event.button !== 2)) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    const at = toImage(event);
    start.current = { screenX: event.clientX, screenY: event.clientY, ...at, negative: event.button === 2 || event.shiftKey };
  };

  const onPointerMove = (event: PointerEvent<Element>) => {
    const begin = start.current;
    if (!begin || !rect || !image) return;
    if (Math.hypot(event.clientX - begin.screenX, event.clientY - begin.screenY) < dragThresholdPx) return;
    const at = toImage(event);
    setDraftBox({ x0: begin.x, y0: begin.y, x1: at.x, y1: at.y });
  };

  const onPointerUp = (event: PointerEvent<Element>) => {
    const begin = start.current;
    start.current = null;
    setDraftBox(null);
    if (!begin || !rect || !image) return;
    const at = toImage(event);
    const dragged = Math.hypot(event.clientX - begin.screenX, event.clientY - begin.screenY) >= dragThresholdPx;
    if (dragged && !begin.negative) onBox({ x0: begin.x, y0: begin.y, x1: at.x, y1: at.y });
    else onPoint({ x: begin.x, y: begin.y, positive: !begin.negative });
  };

  const onPointerCancel = () => {
    start.current = null;
    setDraftBox(null);
  };

  return { draftBox, handlers: { onPointerDown, onPointerMove, onPointerUp, onPointerCancel } };
}
