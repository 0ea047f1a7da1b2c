import type { BinaryMask, RgbaImage } from '../image/rgbaImage';
import type { DetectedDecoder, DetectedEncoder } from './detectFormat';
import { lowResLogitsToImage, selectMaskIndex, thresholdLogits } from './maskPostprocess';
import { normalizeAndPadChw, resizeLongestSide, rgbHwcFloat, samNormalization, type Normalization } from './preprocess';
import { metaPromptFeeds, transformersPromptFeeds } from './promptFeeds';
import type { ImageSize, PlainFeeds, Prompts, SamFormat } from './types';

/** Facts a model.json may add that the ONNX files do not state (e.g. S for a dynamic input). */
export interface SamModelConfig {
  inputSize?: number;
  lowResSize?: number;
  normalization?: Normalization;
  /** Logit above which a pixel is inside the mask (SAM: 0). */
  maskThreshold?: number;
}

/** A model output as any runtime hands it back. */
export interface OutputTensor {
  dims: readonly number[];
  data: ArrayLike<number>;
}

export interface DecodedMask {
  /** Binary mask at the image's size. */
  mask: BinaryMask;
  /** The decoder's own IoU estimate for the chosen mask. */
  predictedIoU: number;
  maskIndex: number;
  maskCount: number;
}

/** One interface over every SAM export format: feeds in, masks out. Sessions live elsewhere (the worker). */
export interface SamAdapter {
  readonly format: SamFormat;
  /** S: the encoder sees the image resized so that its longest side is S, padded to S×S. */
  readonly inputSize: number;
  /** Encoder outputs to keep per image; the decoder takes them under the same names. */
  readonly embeddingNames: readonly string[];
  encoderFeeds(image: RgbaImage): PlainFeeds;
  decoderFeeds(prompts: Prompts, image: ImageSize): PlainFeeds;
  decodeMask(outputs: Record<string, OutputTensor>, image: ImageSize): DecodedMask;
}

const defaultInputSize = 1024;
const defaultMaskInputSize = 256;

/** Pairs a detected encoder and decoder into an adapter; refuses parts of different export families. */
export function createSamAdapter(encoder: DetectedEncoder, decoder: DetectedDecoder, config: SamModelConfig = {}): SamAdapter {
  const encoderFamily = encoder.format === 'transformers' ? 'transformers' : 'meta';
  if (encoderFamily !== decoder.family) {
    throw new Error(
      `The encoder is a ${familyName(encoderFamily)} export but the decoder is a ${familyName(decoder.family)} export: load the encoder and decoder of the same export.`,
    );
  }
  const produced = encoder.embeddingShape;
  const expected = decoder.embeddingShape;
  const comparable = produced.length === expected.length && produced.every((dim, i) => typeof dim === 'number' && typeof expected[i] === 'number' && dim > 0 && (expected[i] as number) > 0);
  if (comparable && produced.some((dim, i) => dim !== expected[i])) {
    throw new Error(
      `The encoder produces image_embeddings [${produced.join(',')}] but the decoder expects [${expected.join(',')}]: load the encoder and decoder of the same export.`,
    );
  }
  const inputSize = encoder.inputSize ?? config.inputSize ?? defaultInputSize;
  const normalization = config.normalization ?? samNormalization;
  const maskInputSize = decoder.maskInputSize ?? config.lowResSize ?? defaultMaskInputSize;

  const encoderFeeds = (image: RgbaImage): PlainFeeds => {
    const resized = resizeLongestSide(image, inputSize);
    const tensor = encoder.format === 'samexporter' ? rgbHwcFloat(resized) : normalizeAndPadChw(resized, inputSize, normalization);
    return { [encoder.inputName]: tensor };
  };

  const decoderFeeds = (prompts: Prompts, image: ImageSize): PlainFeeds =>
    decoder.family === 'transformers'
      ? transformersPromptFeeds(prompts, image, inputSize)
      : metaPromptFeeds(prompts, image, inputSize, { inputNames: decoder.inputNames, maskInputSize });

  const decodeMask = (outputs: Record<string, OutputTensor>, image: ImageSize): DecodedMask => {
    const masks = requireOutput(outputs, decoder.maskOutput);
    const ious = requireOutput(outputs, decoder.iouOutput);
    const dims = masks.dims;
    if (dims.length < 3) throw new Error(`The decoder's ${decoder.maskOutput} output has shape [${dims.join(',')}]; expected [..., masks, H, W].`);
    const planeHeight = dims[dims.length - 2];
    const planeWidth = dims[dims.length - 1];
    const maskCount = dims[dims.length - 3];
    if (ious.data.length < maskCount) throw new Error(`The decoder returned ${maskCount} masks but ${ious.data.length} IoU predictions.`);
    // Only the first prompt set of the first image is ever requested.
    const iouPredictions = Array.from({ length: maskCount }, (_, i) => Number(ious.data[i]));
    const maskIndex = selectMaskIndex(iouPredictions);
    const planeSize = planeWidth * planeHeight;
    const offset = maskIndex * planeSize;
    const plane =
      masks.data instanceof Float32Array
        ? masks.data.subarray(offset, offset + planeSize)
        : Float32Array.from({ length: planeSize }, (_, i) => Number(masks.data[offset + i]));

    let logits: Float32Array = plane;
    if (!(decoder.masksAtImageSize && planeWidth === image.width && planeHeight === image.height)) {
      if (planeWidth !== planeHeight) {
        throw new Error(`The decoder's low-resolution masks are ${planeWidth}×${planeHeight}; expected a square covering the padded input.`);
      }
      logits = lowResLogitsToImage(plane, planeWidth, image, inputSize);
    }
    return { mask: thresholdLogits(logits, image.width, image.height, config.maskThreshold ?? 0), predictedIoU: iouPredictions[maskIndex], maskIndex, maskCount };
  };

  return { format: encoder.format, inputSize, embeddingNames: encoder.embeddingNames, encoderFeeds, decoderFeeds, decodeMask };
}

function requireOutput(outputs: Record<string, OutputTensor>, name: string): OutputTensor {
  const tensor = outputs[name];
  if (!tensor) throw new Error(`The decoder did not return its ${name} output (got ${Object.keys(outputs).join(', ') || 'nothing'}).`);
  return tensor;
}

function familyName(family: 'meta' | 'transformers'): string {
  return family === 'transformers' ? 'transformers.js' : 'Meta/samexporter';
}
