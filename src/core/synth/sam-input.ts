/**
 * Meta-style SAM encoder input from RGBA pixels (METHOD.md "SAM ONNX formats"): resize so the
 * longest side equals inputSize, normalize RGB with mean/std, zero-pad bottom/right, NCHW.
 * Point coordinates move to the resized frame with the same per-axis factors.
 */
export interface SamInputSpec {
  inputSize: number;
  mean: readonly [number, number, number] | readonly number[];
  std: readonly [number, number, number] | readonly number[];
}

/** Size after resizing the longest side to `inputSize` (Meta: floor(x·s + 0.5)). */
export function resizedSize(width: number, height: number, inputSize: number): { width: number; height: number } {
  if (!(width > 0 && height > 0)) throw new Error(`image size must be positive, got ${width}×${height}`);
  const scale = inputSize / Math.max(width, height);
  return { width: Math.floor(width * scale + 0.5), height: Math.floor(height * scale + 0.5) };
}

/** Maps a point from image pixels to the resized-input frame. */
export function toInputFrame(x: number, y: number, width: number, height: number, inputSize: number): [number, number] {
  const resized = resizedSize(width, height, inputSize);
  return [x * (resized.width / width), y * (resized.height / height)];
}

/**
 * Float32 [1,3,inputSize,inputSize] tensor data. Resizing is bilinear with half-pixel centres
 * (identity when the image already has the input size, as the demo scenes do).
 */
export function encoderInput(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, spec: SamInputSpec): Float32Array {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} RGBA bytes for ${width}×${height}, got ${rgba.length}`);
  if (spec.mean.length !== 3 || spec.std.length !== 3) throw new Error('mean and std need 3 values (R, G, B)');
  const size = spec.inputSize;
  const resized = resizedSize(width, height, size);
  const out = new Float32Array(3 * size * size); // zero padding = already 0
  const sx = width / resized.width;
  const sy = height / resized.height;
  for (let y = 0; y < resized.height; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < resized.width; x++) {
      const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(width - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const top = rgba[(y0 * width + x0) * 4 + c] * (1 - wx) + rgba[(y0 * width + x1) * 4 + c] * wx;
        const bottom = rgba[(y1 * width + x0) * 4 + c] * (1 - wx) + rgba[(y1 * width + x1) * 4 + c] * wx;
        out[c * size * size + y * size + x] = (top * (1 - wy) + bottom * wy - spec.mean[c]) / spec.std[c];
      }
    }
  }
  return out;
}

/** IoU of two binary masks of equal length (1 when both are empty). */
export function maskIoU(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`masks differ in size: ${a.length} vs ${b.length}`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}
