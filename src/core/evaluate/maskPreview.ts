/**
 * The preview of one image and its prompts: the full-precision mask and the mask of an allocation, side
 * by side, with their agreement and, where the prompted object is known, each mask's IoU with it.
 * Embeddings are cached per image and encoder configuration, so moving a slider that only changes
 * decoder widths, or adding a click, runs the decoder alone.
 */
import { singleRun } from '../analysis/promptRuns';
import type { BinaryMask, RgbaImage } from '../image/rgbaImage';
import { toOrtFeeds, type OrtFeeds } from '../onnx/ort';
import type { Allocation } from '../quant/config';
import { matchPromptedObject, type TruthMatch, type TruthObject } from '../sam/promptedObject';
import type { OutputTensor } from '../sam/samAdapter';
import type { Prompts } from '../sam/types';
import { graphConfig, type SamRunner } from './quantizedSam';
import { maskAgreement, type MaskAgreement } from './maskAgreement';

export interface PreviewMask {
  mask: BinaryMask;
  predictedIoU: number;
  /** IoU with the prompted true object (samples only). */
  truth: TruthMatch | null;
}

export interface MaskPreviewResult {
  fp: PreviewMask;
  quantized: PreviewMask;
  /** FP as reference: onlyReference = pixels only in FP, onlyCompared = only in the quantized mask. */
  agreement: MaskAgreement;
  /** Encoder runs this preview needed (0 when both embeddings were cached). */
  encoderRuns: number;
  elapsedMs: number;
}

/** Embeddings kept: a few images × a few encoder configurations. */
const CACHE_LIMIT = 12;

export class MaskPreviewer {
  private readonly embeddings = new Map<string, Promise<OrtFeeds>>();

  constructor(
    readonly runner: SamRunner,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private embed(imageKey: string, image: RgbaImage, allocation: Allocation | null, count: () => void): Promise<OrtFeeds> {
    // Only the encoder's quantized units change the embedding (FP and an all-null allocation share one).
    const quantized = Object.entries(graphConfig(this.runner.sam, 'encoder', allocation)).filter(([, setting]) => setting && (setting.aBits !== null || setting.wBits !== null));
    const key = `${imageKey}|${JSON.stringify(quantized)}`;
    let cached = this.embeddings.get(key);
    if (cached) {
      this.embeddings.delete(key);
    } else {
      count();
      cached = this.runner.embed(toOrtFeeds(this.runner.ort, this.runner.sam.adapter.encoderFeeds(image)), allocation);
      cached.catch(() => this.embeddings.delete(key));
    }
    this.embeddings.set(key, cached);
    while (this.embeddings.size > CACHE_LIMIT) this.embeddings.delete(this.embeddings.keys().next().value!);
    return cached;
  }

  /** FP and quantized masks of `prompts` on `image` (identified by `imageKey` for the cache). */
  async preview(imageKey: string, image: RgbaImage, prompts: Prompts, allocation: Allocation, truth: readonly TruthObject[] | null): Promise<MaskPreviewResult> {
    const started = this.now();
    const { sam } = this.runner;
    const size = { width: image.width, height: image.height };
    const promptFeeds = singleRun(toOrtFeeds(this.runner.ort, sam.adapter.decoderFeeds(prompts, size)));
    let encoderRuns = 0;
    const one = async (chosen: Allocation | null): Promise<PreviewMask> => {
      const embeddings = await this.embed(imageKey, image, chosen, () => encoderRuns++);
      const outputs = await this.runner.decode(embeddings, promptFeeds, chosen);
      const decoded = sam.adapter.decodeMask(outputs as unknown as Record<string, OutputTensor>, size);
      // Copy: the mask may view an output tensor's buffer.
      const mask = { ...decoded.mask, data: decoded.mask.data.slice() };
      return { mask, predictedIoU: decoded.predictedIoU, truth: truth && truth.length > 0 ? matchPromptedObject(mask, prompts, truth) : null };
    };
    const fp = await one(null);
    const quantized = await one(allocation);
    return { fp, quantized, agreement: maskAgreement(fp.mask, quantized.mask), encoderRuns, elapsedMs: this.now() - started };
  }

  forget(imageKey?: string): void {
    if (imageKey === undefined) this.embeddings.clear();
    else for (const key of [...this.embeddings.keys()]) if (key.startsWith(`${imageKey}|`)) this.embeddings.delete(key);
  }
}
