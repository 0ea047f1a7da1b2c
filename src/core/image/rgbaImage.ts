/** Pixels as the browser's ImageData holds them: row-major RGBA, 8 bits per channel. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** A binary mask (1 = inside), row-major, one byte per pixel. */
export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Checks that a pixel buffer matches its stated size; a mismatch is a caller's bug worth naming. */
export function assertRgbaImage(image: RgbaImage, what = 'image'): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`The ${what} has an invalid size ${width}×${height}.`);
  }
  if (data.length !== width * height * 4) {
    throw new Error(`The ${what} is ${width}×${height} but holds ${data.length} bytes instead of ${width * height * 4} (RGBA).`);
  }
}
