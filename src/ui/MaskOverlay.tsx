import { useEffect, useRef } from 'react';
import { maskToOverlayRgba, type Rgba } from '../core/image/maskOps';
import type { BinaryMask } from '../core/image/rgbaImage';

const maskColor: Rgba = [30, 120, 255, 130];

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
    const pixels = maskToOverlayRgba(mask, maskColor);
    context.putImageData(new ImageData(pixels as Uint8ClampedArray<ArrayBuffer>, mask.width, mask.height), 0, 0);
  }, [mask]);
  return <canvas ref={canvasRef} className="stage-layer mask-layer" data-testid="mask-overlay" />;
}
