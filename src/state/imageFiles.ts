import { capLongestSide } from '../core/image/viewport';
import type { RgbaImage } from '../core/image/rgbaImage';

/**
 * Images larger than this are kept downscaled in memory: SAM never sees more than 1024 pixels a side,
 * and masks are computed at this working size and drawn over the picture.
 */
export const maxWorkingSide = 2048;

const imageTypes = ['image/png', 'image/jpeg', 'image/webp'];
const imageExtensions = /\.(png|jpe?g|webp)$/i;

export function isImageFile(file: File): boolean {
  return imageTypes.includes(file.type) || imageExtensions.test(file.name);
}

export function isOnnxFile(file: File): boolean {
  return /\.onnx$/i.test(file.name);
}

export function isModelManifestFile(file: File): boolean {
  return /(^|\/)model\.json$/i.test(file.name);
}

export interface DecodedImage {
  bitmap: ImageBitmap;
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
}

/** Decodes an image file upright (EXIF orientation applied) at no more than maxWorkingSide a side. */
export async function decodeImageFile(file: Blob): Promise<DecodedImage> {
  const full = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const size = capLongestSide(full.width, full.height, maxWorkingSide);
  if (size.width === full.width && size.height === full.height) {
    return { bitmap: full, ...size, originalWidth: full.width, originalHeight: full.height };
  }
  const bitmap = await createImageBitmap(full, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
  const original = { originalWidth: full.width, originalHeight: full.height };
  full.close();
  return { bitmap, ...size, ...original };
}

/** RGBA pixels of a bitmap at its own size (a fresh buffer each call, safe to transfer to a worker). */
export function bitmapPixels(bitmap: ImageBitmap): RgbaImage {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser cannot read image pixels (no 2D canvas).');
  context.drawImage(bitmap, 0, 0);
  const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return { width, height, data };
}

/** A bitmap of generated pixels (sample images). */
export function bitmapFromPixels(image: RgbaImage): Promise<ImageBitmap> {
  const data = new Uint8ClampedArray(image.data);
  return createImageBitmap(new ImageData(data, image.width, image.height));
}
