export { createRandom, mixSeed, type Random } from './random.ts';
export { SHAPE_KINDS, insidePolygon, randomShape, rasterizeShape, type Shape, type ShapeKind } from './shapes.ts';
export { randomTexture, randomColorPair, type TextureKind } from './texture.ts';
export { generateScene, maskBox, MIN_VISIBLE_PIXELS, type Scene, type SceneObject, type SceneOptions } from './scene.ts';
export { promptForMask, squaredDistanceToOutside, type ObjectPrompt } from './prompt.ts';
export { encoderInput, maskIoU, resizedSize, toInputFrame, type SamInputSpec } from './sam-input.ts';
