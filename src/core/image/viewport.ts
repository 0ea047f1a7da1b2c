/** Where an image of a given size sits when fitted (contained, centred) into a viewport. */
export interface FittedRect {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Displayed pixels per image pixel. */
  scale: number;
}

/** Fits the image inside the viewport without cropping and without enlarging past `maxScale`. */
export function fitContain(
  imageWidth: number,
  imageHeight: number,
  viewportWidth: number,
  viewportHeight: number,
  maxScale = Number.POSITIVE_INFINITY,
): FittedRect {
  const scale = Math.min(viewportWidth / imageWidth, viewportHeight / imageHeight, maxScale);
  const width = imageWidth * scale;
  const height = imageHeight * scale;
  return { left: (viewportWidth - width) / 2, top: (viewportHeight - height) / 2, width, height, scale };
}

/** Converts a position in viewport pixels to image pixels, clamped to the image. */
export function viewportToImage(
  x: number,
  y: number,
  rect: FittedRect,
  imageWidth: number,
  imageHeight: number,
): { x: number; y: number } {
  const imageX = (x - rect.left) / rect.scale;
  const imageY = (y - rect.top) / rect.scale;
  return { x: clamp(imageX, 0, imageWidth), y: clamp(imageY, 0, imageHeight) };
}

/** Size that fits inside `maxSide` × `maxSide` keeping the aspect ratio (never enlarges). */
export function capLongestSide(width: number, height: number, maxSide: number): { width: number; height: number } {
  const longest = Math.max(width, height);
  if (longest <= maxSide) return { width, height };
  const scale = maxSide / longest;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
