import { useEffect, useRef } from 'react';

/** An image with an RGBA overlay drawn at the image's own resolution; CSS scales the canvas to the panel. */
export function MaskPanel({
  bitmap,
  overlay,
  dim = false,
  label,
  testId,
}: {
  bitmap: ImageBitmap;
  overlay: Uint8ClampedArray | null;
  /** Fade the picture so the overlay reads (difference view). */
  dim?: boolean;
  label: string;
  testId: string;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    context.globalAlpha = dim ? 0.35 : 1;
    context.drawImage(bitmap, 0, 0);
    context.globalAlpha = 1;
    if (!overlay || overlay.length !== bitmap.width * bitmap.height * 4) return;
    // putImageData replaces pixels; compose the overlay through a second canvas to blend it.
    const layer = new OffscreenCanvas(bitmap.width, bitmap.height);
    layer.getContext('2d')?.putImageData(new ImageData(overlay as Uint8ClampedArray<ArrayBuffer>, bitmap.width, bitmap.height), 0, 0);
    context.drawImage(layer, 0, 0);
  }, [bitmap, overlay, dim]);
  return (
    <figure className="mask-panel" data-testid={testId}>
      <canvas ref={canvasRef} aria-label={label} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}
