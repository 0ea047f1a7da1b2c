/**
 * Do the exported files compute what the preview simulated? Runs the exported encoder and decoder and
 * the parametric (fake-quant) sessions of the same allocation on one image and its prompts, and compares
 * (quant/verify.ts does this for one graph; here the decoder is also checked on the exported encoder's
 * output, end to end, because that is how the files are deployed).
 * The simulation must run under the same session options as the exported files (REFERENCE_SESSION_OPTIONS
 * plus the execution provider), else onnxruntime fuses the two graphs differently (onnx/ort.ts).
 * An encoder that ships unchanged is the simulation's own encoder (same bytes, same options) and is not
 * opened a second time: a ViT-B encoder does not fit twice in a browser's WASM heap.
 */
import { promptFeeds } from '../analysis/analysisModel';
import type { CalibrationPrompt } from '../analysis/calibrationPrompts';
import { runPromptRuns } from '../analysis/promptRuns';
import type { RgbaImage } from '../image/rgbaImage';
import { REFERENCE_SESSION_OPTIONS, toOrtFeeds, type OrtFeeds, type OrtSession, type SessionOptions } from '../onnx/ort';
import type { Allocation } from '../quant/config';
import type { OutputComparison } from '../quant/verify';
import type { SamRunner } from './quantizedSam';

export interface SamVerification {
  /** Exported vs simulated encoder outputs (image embeddings) on the image. */
  encoder: OutputComparison;
  /** Exported vs simulated decoder mask logits, both fed the simulated embeddings. */
  decoder: OutputComparison;
  /** Exported encoder → exported decoder vs the simulated chain: mask logits. */
  endToEnd: OutputComparison;
  /** Largest |Δ| over every decoder output (masks, IoU predictions, low-res logits) end to end. */
  maxAbsErrorAllOutputs: number;
  /** The decoder output compared as mask logits. */
  maskOutput: string;
  prompts: number;
  /**
   * True when the encoder file is the original model's bytes (nothing in it quantized) and was not run
   * again: its outputs are those of the simulation's own session of the same bytes under the same options.
   */
  encoderShared: boolean;
}

export interface VerifyMemoryOptions {
  /** The encoder file ships unchanged (samExport.ts ExportedPart.unchanged). */
  encoderUnchanged?: boolean;
  /** Suspend the simulation's sessions once its outputs are in, before the files are opened (large encoders). */
  suspendSimulation?: boolean;
}

/** max |a − b| and the range of the expected values (NaN anywhere counts as an infinite error). */
export function compareOutputs(actual: ArrayLike<number>, expected: ArrayLike<number>, name: string): OutputComparison {
  if (actual.length !== expected.length) throw new Error(`Output "${name}" has ${actual.length} values in the export but ${expected.length} in the simulation.`);
  let max = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    max = Number.isNaN(d) ? Infinity : Math.max(max, d);
    lo = Math.min(lo, expected[i]);
    hi = Math.max(hi, expected[i]);
  }
  const range = actual.length > 0 ? hi - lo : 0;
  return { maxAbsError: max, range, relativeError: range > 0 ? max / range : max === 0 ? 0 : Infinity };
}

function worst(comparisons: OutputComparison[]): OutputComparison {
  return comparisons.reduce((a, b) => (b.maxAbsError > a.maxAbsError || (b.maxAbsError === a.maxAbsError && b.range > a.range) ? b : a));
}

function only(feeds: OrtFeeds, session: OrtSession): OrtFeeds {
  return Object.fromEntries(session.inputNames.filter((name) => feeds[name]).map((name) => [name, feeds[name]]));
}

export async function verifySamExport(
  simulation: SamRunner,
  exported: { encoder: Uint8Array; decoder: Uint8Array },
  allocation: Allocation,
  sample: { image: RgbaImage; prompts: readonly CalibrationPrompt[] },
  sessionOptions: SessionOptions = {},
  memory: VerifyMemoryOptions = {},
): Promise<SamVerification> {
  const { ort, sam } = simulation;
  const options = { ...REFERENCE_SESSION_OPTIONS, ...sessionOptions };
  const imageFeeds = toOrtFeeds(ort, sam.adapter.encoderFeeds(sample.image));
  const prompts = promptFeeds(ort, sam, { image: sample.image, prompts: [...sample.prompts] });
  const names = [...sam.adapter.embeddingNames];

  const simulatedEmbeddings = await simulation.embed(imageFeeds, allocation);
  const simulatedMasks = await simulation.decode(simulatedEmbeddings, prompts, allocation);
  if (memory.suspendSimulation) await simulation.suspend?.();

  // The simulation's encoder session is the original graph itself when it has nothing to quantize.
  const encoderShared = memory.encoderUnchanged === true && simulation.parametric.encoder === null;
  const encoder = encoderShared ? null : await ort.InferenceSession.create(exported.encoder, options);
  try {
    const decoder = await ort.InferenceSession.create(exported.decoder, options);
    try {
      const encoded = encoder ? await encoder.run(only(imageFeeds, encoder), names) : simulatedEmbeddings;
      const exportedEmbeddings = Object.fromEntries(names.map((name) => [name, encoded[name]]));
      const decoderAlone = await runPromptRuns(ort, decoder, prompts, simulatedEmbeddings);
      const endToEnd = await runPromptRuns(ort, decoder, prompts, exportedEmbeddings);
      const data = (feeds: OrtFeeds, name: string) => {
        const tensor = feeds[name];
        if (!tensor) throw new Error(`The exported model did not return "${name}".`);
        // Integer outputs (the mask areas of Meta's return_extra_metrics export are int64) compare as numbers.
        const values = tensor.data;
        return values instanceof BigInt64Array || values instanceof BigUint64Array ? Float64Array.from(values, Number) : (values as ArrayLike<number>);
      };
      const maskOutput = sam.lowResOutput;
      const allOutputs = decoder.outputNames.filter((name) => simulatedMasks[name]).map((name) => compareOutputs(data(endToEnd, name), data(simulatedMasks, name), name));
      return {
        encoder: worst(names.map((name) => compareOutputs(data(encoded, name), data(simulatedEmbeddings, name), name))),
        decoder: compareOutputs(data(decoderAlone, maskOutput), data(simulatedMasks, maskOutput), maskOutput),
        endToEnd: compareOutputs(data(endToEnd, maskOutput), data(simulatedMasks, maskOutput), maskOutput),
        maxAbsErrorAllOutputs: Math.max(...allOutputs.map((c) => c.maxAbsError)),
        maskOutput,
        prompts: sample.prompts.length,
        encoderShared,
      };
    } finally {
      await decoder.release();
    }
  } finally {
    await encoder?.release();
  }
}
