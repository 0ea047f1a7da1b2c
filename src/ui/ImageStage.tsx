import { useEffect, useId, useMemo, useRef } from 'react';
import { fitContain } from '../core/image/viewport';
import { selectCanSegment, selectSelectedImage, selectSelectedPreview, selectSelectedPrompts } from '../state/selectors';
import { useStudio } from '../state/store';
import { MaskOverlay } from './MaskOverlay';
import { PromptMarkers } from './PromptMarkers';
import { useElementSize } from './useElementSize';
import { useKeyboardPrompts, usePromptGestures } from './usePromptGestures';

/** The selected image, its mask and prompt markers; pointer gestures and keys (when focused) become prompts. */
export function ImageStage() {
  const image = useStudio(selectSelectedImage);
  const prompts = useStudio(selectSelectedPrompts);
  const preview = useStudio(selectSelectedPreview);
  const canSegment = useStudio(selectCanSegment);
  const decodeCount = useStudio((state) => state.decodeCount);
  const addPoint = useStudio((state) => state.addPoint);
  const setBox = useStudio((state) => state.setBox);
  const removeLastPrompt = useStudio((state) => state.removeLastPrompt);
  const paused = useStudio((state) => state.inferencePause);
  const hintId = useId();

  const viewportRef = useRef<HTMLDivElement>(null);
  const viewport = useElementSize(viewportRef);
  const rect = useMemo(
    () => (image && viewport.width > 0 ? fitContain(image.width, image.height, viewport.width, viewport.height) : null),
    [image, viewport.width, viewport.height],
  );
  const { draftBox, handlers } = usePromptGestures(canSegment ? rect : null, image, addPoint, setBox);
  const { crosshair, focused, keyHandlers } = useKeyboardPrompts(image, canSegment, addPoint, removeLastPrompt);

  const imageCanvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = imageCanvas.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context || !image) return;
    canvas.width = image.width;
    canvas.height = image.height;
    context.drawImage(image.bitmap, 0, 0);
  }, [image]);

  return (
    <div
      ref={viewportRef}
      className="stage-viewport"
      data-testid="image-stage"
      data-image-id={image?.id ?? ''}
      data-image-width={image?.width ?? ''}
      data-image-height={image?.height ?? ''}
      data-encode-state={image?.encodeState ?? ''}
      data-decode-count={decodeCount}
      data-mask-area={preview?.area ?? ''}
      data-predicted-iou={preview ? preview.predictedIoU.toFixed(4) : ''}
      data-truth-iou={preview?.truth ? preview.truth.iou.toFixed(4) : ''}
      data-paused={paused ? 'true' : 'false'}
    >
      {!image && <p className="stage-empty muted">Add an image to start: drop it anywhere on the page.</p>}
      {image && rect && (
        <div
          className={`stage${canSegment ? '' : ' stage-disabled'}`}
          style={{ left: rect.left, top: rect.top, width: rect.width, height: rect.height }}
          onContextMenu={(event) => event.preventDefault()}
          tabIndex={0}
          role="application"
          aria-label={`Prompts on ${image.name}`}
          aria-describedby={hintId}
          data-testid="prompt-surface"
          {...handlers}
          {...keyHandlers}
        >
          <canvas ref={imageCanvas} className="stage-layer" aria-label={`Image ${image.name}`} />
          <MaskOverlay mask={preview?.mask ?? null} />
          <PromptMarkers prompts={prompts} draftBox={draftBox} crosshair={crosshair} width={image.width} height={image.height} scale={rect.scale} />
        </div>
      )}
      {image && paused && (
        <p className="stage-paused" role="status" data-testid="stage-paused">
          {paused}
        </p>
      )}
      {image && (
        <p id={hintId} className={`stage-keys-hint${focused && !paused ? ' stage-keys-hint-shown' : ''}`}>
          Keys: arrows move the crosshair (Shift: faster) · Enter or Space: include · N or Shift+Enter: exclude · Backspace: undo
        </p>
      )}
    </div>
  );
}
