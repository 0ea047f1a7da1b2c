import { useEffect, useRef } from 'react';
import { fitContain } from '../core/image/viewport';
import type { StudioImage } from '../state/imagesSlice';

const side = 64;

/** A small contained preview of an image, with its encoding state; the user's images have a remove button. */
export function Thumbnail({ image, selected, onSelect, onRemove }: { image: StudioImage; selected: boolean; onSelect: () => void; onRemove?: () => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context) return;
    const scale = window.devicePixelRatio || 1;
    const rect = fitContain(image.width, image.height, side * scale, side * scale);
    context.clearRect(0, 0, side * scale, side * scale);
    context.drawImage(image.bitmap, rect.left, rect.top, rect.width, rect.height);
  }, [image.bitmap, image.width, image.height]);
  const scale = window.devicePixelRatio || 1;
  return (
    <div className="thumbnail-cell">
      <button
        type="button"
        className={`thumbnail${selected ? ' selected' : ''}`}
        onClick={onSelect}
        aria-pressed={selected}
        title={`${image.name} — ${image.originalWidth}×${image.originalHeight}`}
        data-testid="thumbnail"
        data-image-id={image.id}
      >
        <canvas ref={canvasRef} width={side * scale} height={side * scale} style={{ width: side, height: side }} />
        <span className="thumbnail-name">{image.name}</span>
        <span className={`encode-dot encode-${image.encodeState}`} aria-label={`embedding ${image.encodeState}`} />
      </button>
      {onRemove && (
        <button type="button" className="thumbnail-remove" onClick={onRemove} aria-label={`Remove ${image.name}`} title={`Remove ${image.name} from the images`}>
          ×
        </button>
      )}
    </div>
  );
}
