/**
 * τ of the post-softmax log2 quantizer, per softmax·v unit (METHOD.md "Quantizers", AGQ): the
 * τ ∈ {1, 2, 4} whose quantized attention Q(A) gives the smallest error of Q(A)·V against A·V on
 * calibration inputs.
 */
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { siteKey, type ActivationRanges } from './config.ts';
import { int64Values, withValueStats, type StatRequest } from './graphStats.ts';
import { log2Quant } from './quantizers.ts';
import type { QuantUnit } from './units.ts';

export const DEFAULT_TAU_CANDIDATES: readonly number[] = [1, 2, 4];

/** Rows of A sampled per unit and batch (attention maps of big encoders have millions of rows). */
const MAX_ROWS = 256;

/** Row stride of the sample of A: every max(1, ⌊rows / MAX_ROWS⌋)-th row of its [R, Nk] view. */
export function attentionRowStride(aDims: readonly number[]): number {
  const nk = aDims[aDims.length - 1];
  const rows = aDims.reduce((a, b) => a * b, 1) / nk;
  return Math.max(1, Math.floor(rows / MAX_ROWS));
}

/**
 * Squared error Σ ((Q(A) − A)·V)² over sampled rows. A: [..., Nq, Nk], V: [..., Nk, d] with equal
 * leading (batch·head) dims.
 */
export function attentionOutputError(a: Float32Array, aDims: readonly number[], v: Float32Array, vDims: readonly number[], quantize: (x: number) => number): number {
  const nk = aDims[aDims.length - 1];
  const stride = attentionRowStride(aDims);
  const rows = new Float32Array(Math.ceil(a.length / nk / stride) * nk);
  for (let j = 0; j * stride * nk < a.length; j++) rows.set(a.subarray(j * stride * nk, (j * stride + 1) * nk), j * nk);
  return sampledAttentionError(rows, aDims, v, vDims, quantize);
}

/**
 * The same error from the sampled rows alone (the rows every attentionRowStride(aDims)-th of A's
 * [R, Nk] view, as quant/graphStats.ts takes them in the graph), so A never leaves the graph whole.
 */
export function sampledAttentionError(rows: Float32Array, aDims: readonly number[], v: Float32Array, vDims: readonly number[], quantize: (x: number) => number): number {
  const nq = aDims[aDims.length - 2];
  const nk = aDims[aDims.length - 1];
  const d = vDims[vDims.length - 1];
  if (vDims[vDims.length - 2] !== nk) throw new Error(`softmax·v shapes do not chain: A [${aDims}] · V [${vDims}].`);
  const stride = attentionRowStride(aDims);
  const vBatches = v.length / (nk * d);
  const delta = new Float64Array(nk);
  let error = 0;
  for (let j = 0; j < rows.length / nk; j++) {
    const batch = Math.floor((j * stride) / nq);
    const aOffset = j * nk;
    const vOffset = (vBatches === 1 ? 0 : batch % vBatches) * nk * d;
    for (let k = 0; k < nk; k++) delta[k] = quantize(rows[aOffset + k]) - rows[aOffset + k];
    for (let c = 0; c < d; c++) {
      let sum = 0;
      for (let k = 0; k < nk; k++) sum += delta[k] * v[vOffset + k * d + c];
      error += sum * sum;
    }
  }
  return error;
}

export interface TauOptions {
  /** Width at which τ is chosen (default 4). */
  bits?: number;
  candidates?: readonly number[];
  sessionOptions?: SessionOptions;
}

/** Best τ per softmax·v unit, from runs on the given calibration feeds (one width, METHOD.md's choice). */
export async function chooseLog2Taus(
  ort: OrtModule,
  model: ModelProto,
  units: readonly QuantUnit[],
  ranges: ActivationRanges,
  batches: readonly OrtFeeds[],
  options: TauOptions = {},
): Promise<Record<string, number>> {
  const bits = options.bits ?? 4;
  const candidates = options.candidates ?? DEFAULT_TAU_CANDIDATES;
  const byWidth = await chooseLog2TausPerWidth(ort, model, units, () => ranges, batches, { widths: [bits], candidatesAt: () => candidates, sessionOptions: options.sessionOptions });
  return byWidth[bits];
}

/**
 * τ per softmax·v unit at each width (an option beside METHOD.md's single choice at 4 bits): for width b
 * the candidates are 1, 2, 4, … 2^(b−1) (a wider grid affords a finer τ) and the scale is that width's
 * range max. One session and one run per batch serve every width.
 */
export async function chooseLog2TausPerWidth(
  ort: OrtModule,
  model: ModelProto,
  units: readonly QuantUnit[],
  rangesAt: (bits: number) => ActivationRanges,
  batches: readonly OrtFeeds[],
  options: { widths: readonly number[]; candidatesAt?: (bits: number) => readonly number[]; sessionOptions?: SessionOptions },
): Promise<Record<number, Record<string, number>>> {
  const targets = units.filter((u) => u.kind === 'activation' && u.postSoftmaxInput !== null);
  const byWidth: Record<number, Record<string, number>> = Object.fromEntries(options.widths.map((bits) => [bits, {}]));
  if (targets.length === 0) return byWidth;
  if (batches.length === 0) throw new Error('Choosing τ needs at least one batch of inputs.');
  const candidatesAt = options.candidatesAt ?? ((bits: number) => Array.from({ length: bits }, (_, k) => 2 ** k));
  // A leaves the graph as a row sample, V whole (V is Nk·d, A is Nq·Nk: at ViT-B's global blocks 12.6 MB against 805 MB).
  const requests = new Map<string, StatRequest>();
  for (const unit of targets) {
    requests.set(unit.activationInputs[unit.postSoftmaxInput!], { range: false, rows: MAX_ROWS });
    requests.set(unit.activationInputs[1 - unit.postSoftmaxInput!], { range: false, whole: true });
  }
  const { model: withStats, outputs } = withValueStats(model, requests);
  const session = await ort.InferenceSession.create(encodeModelBytes(withStats), options.sessionOptions);
  const names = [...new Set([...outputs.values()].flatMap((o) => [o.shape, o.rows, o.whole].filter((n): n is string => !!n)))];
  // errors[bits][unit id][candidate index]
  const errors = new Map(options.widths.map((bits) => [bits, new Map(targets.map((u) => [u.id, candidatesAt(bits).map(() => 0)]))]));
  try {
    for (const feeds of batches) {
      const results = await session.run(feeds, names);
      for (const unit of targets) {
        const softmaxInput = unit.postSoftmaxInput!;
        const aStats = outputs.get(unit.activationInputs[softmaxInput])!;
        const vStats = outputs.get(unit.activationInputs[1 - softmaxInput])!;
        const aDims = int64Values(results[aStats.shape].data);
        const aRows = results[aStats.rows!].data as Float32Array;
        const v = results[vStats.whole!];
        for (const bits of options.widths) {
          const range = rangesAt(bits)[siteKey(unit.id, softmaxInput)];
          if (!range) throw new Error(`No calibrated range for the attention input of "${unit.id}" at ${bits} bits.`);
          const scale = Math.fround(range.max);
          const sums = errors.get(bits)!.get(unit.id)!;
          candidatesAt(bits).forEach((tau, i) => {
            sums[i] += sampledAttentionError(aRows, aDims, v.data as Float32Array, v.dims, (x) => log2Quant(x, scale, bits, tau));
          });
        }
      }
    }
  } finally {
    await session.release();
  }
  for (const [bits, byUnit] of errors) {
    const candidates = candidatesAt(bits);
    for (const [id, sums] of byUnit) byWidth[bits][id] = candidates[sums.indexOf(Math.min(...sums))];
  }
  return byWidth;
}
