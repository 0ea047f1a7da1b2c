import { useEffect, useRef } from 'react';
import { maskToOverlayRgba, type Rgba } from '../core/image/maskOps';
import type { BinaryMask } from '../core/image/rgbaImage';

const maskFill: Rgba = [30, 144, 255, 120];
const maskEdge: Rgba = [255, 255, 255, 235];

/** The mask painted at its own resolution and stretched over the image by CSS. */
export function MaskOverlay({ mask }: { mask: BinaryMask | null }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    if (!mask) {
      context.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    canvas.width = mask.width;
    canvas.height = mask.height;
    const pixels = maskToOverlayRgba(mask, maskFill, maskEdge);
    context.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, mask.width, mask.height), 0, 0);
  }, [mask]);
  return <canvas ref={canvasRef} className="stage-layer mask-layer" data-testid="mask-overlay" />;
}
