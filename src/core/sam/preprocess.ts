import { resizeRgba } from '../image/resample';
import { assertRgbaImage, type RgbaImage } from '../image/rgbaImage';
import type { ImageSize, PlainTensor } from './types';

/** Per-channel RGB statistics in 0–255 units. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** SAM's pixel statistics (ImageNet's, in 0–255 units): METHOD.md, "Meta encoder preprocessing". */
export const samNormalization: Normalization = {
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
};

/**
 * Size of the image after resizing its longest side to `side`, rounded as Meta's
 * ResizeLongestSide.get_preprocess_shape does: int(x·scale + 0.5).
 */
export function resizedSize(image: ImageSize, side: number): ImageSize {
  const scale = side / Math.max(image.width, image.height);
  return {
    width: Math.trunc(image.width * scale + 0.5),
    height: Math.trunc(image.height * scale + 0.5),
  };
}

/** Resizes the longest side to `side` (PIL-style bilinear, as SAM's reference code). */
export function resizeLongestSide(image: RgbaImage, side: number): RgbaImage {
  assertRgbaImage(image);
  const target = resizedSize(image, side);
  if (target.width === image.width && target.height === image.height) return image;
  return resizeRgba(image, target.width, target.height);
}

/**
 * [1,3,side,side] float tensor: (pixel − mean) / std per channel, zero-padded at the bottom and right.
 * The image must already fit in side × side (see resizeLongestSide).
 */
export function normalizeAndPadChw(image: RgbaImage, side: number, normalization: Normalization = samNormalization): PlainTensor {
  assertRgbaImage(image);
  if (image.width > side || image.height > side) {
    throw new Error(`A ${image.width}×${image.height} image does not fit the encoder's ${side}×${side} input; resize it first.`);
  }
  const plane = side * side;
  const data = new Float32Array(3 * plane); // zeros: the padding
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const src = (y * image.width + x) * 4;
      const dst = y * side + x;
      for (let c = 0; c < 3; c++) {
        data[c * plane + dst] = (image.data[src + c] - normalization.mean[c]) / normalization.std[c];
      }
    }
  }
  return { type: 'float32', dims: [1, 3, side, side], data };
}

/** [H,W,3] float tensor of raw 0–255 RGB: samexporter's encoder normalizes and pads inside the graph. */
export function rgbHwcFloat(image: RgbaImage): PlainTensor {
  assertRgbaImage(image);
  const count = image.width * image.height;
  const data = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    data[i * 3] = image.data[i * 4];
    data[i * 3 + 1] = image.data[i * 4 + 1];
    data[i * 3 + 2] = image.data[i * 4 + 2];
  }
  return { type: 'float32', dims: [image.height, image.width, 3], data };
}
