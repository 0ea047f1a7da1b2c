import { useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
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

/** Image pixels the crosshair moves per arrow key: a 32nd of the longer side (Shift: four times as far). */
function arrowStep(image: { width: number; height: number }, fast: boolean): number {
  return Math.max(1, Math.round(Math.max(image.width, image.height) / 32)) * (fast ? 4 : 1);
}

const arrowMoves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

/**
 * Prompts by keyboard on the focused image: arrow keys move a crosshair (from the image's centre), Enter or
 * Space adds a positive point there, N or Shift+Enter a negative one, Backspace or Delete takes back the last.
 */
export function useKeyboardPrompts(
  image: { id: string; width: number; height: number } | null,
  enabled: boolean,
  onPoint: (point: PointPrompt) => void,
  onUndo: () => void,
) {
  const [crosshair, setCrosshair] = useState<{ imageId: string; x: number; y: number } | null>(null);
  const [focused, setFocused] = useState(false);
  const at = image && crosshair?.imageId === image.id ? crosshair : image ? { imageId: image.id, x: Math.floor(image.width / 2), y: Math.floor(image.height / 2) } : null;

  const onKeyDown = (event: KeyboardEvent<Element>) => {
    if (!image || !at || event.altKey || event.ctrlKey || event.metaKey) return;
    const move = arrowMoves[event.key];
    if (move) {
      event.preventDefault();
      const step = arrowStep(image, event.shiftKey);
      const x = Math.min(image.width - 1, Math.max(0, at.x + move[0] * step));
      const y = Math.min(image.height - 1, Math.max(0, at.y + move[1] * step));
      setCrosshair({ imageId: image.id, x, y });
      return;
    }
    const negative = event.key === 'n' || event.key === 'N' || (event.key === 'Enter' && event.shiftKey);
    const positive = !negative && (event.key === 'Enter' || event.key === ' ');
    if (negative || positive) {
      event.preventDefault();
      // The point sits at the pixel's centre, as a click on that pixel would put it.
      if (enabled) onPoint({ x: at.x + 0.5, y: at.y + 0.5, positive });
    } else if (event.key === 'Backspace' || event.key === 'Delete') {
      event.preventDefault();
      if (enabled) onUndo();
    }
  };

  return {
    crosshair: focused && at ? { x: at.x + 0.5, y: at.y + 0.5 } : null,
    focused,
    keyHandlers: { onKeyDown, onFocus: () => setFocused(true), onBlur: () => setFocused(false) },
  };
}
