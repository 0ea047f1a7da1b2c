/**
 * τ of the post-softmax log2 quantizer, per softmax·v unit (METHOD.md "Quantizers", AGQ): the
 * τ ∈ {1, 2, 4} whose quantized attention Q(A) gives the smallest error of Q(A)·V against A·V on
 * calibration inputs.
 */
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { siteKey, type ActivationRanges } from './config.ts';
import { log2Quant } from './quantizers.ts';
import type { QuantUnit } from './units.ts';

export const DEFAULT_TAU_CANDIDATES: readonly number[] = [1, 2, 4];

/** Rows of A sampled per unit and batch (attention maps of big encoders have millions of rows). */
const MAX_ROWS = 256;

/**
 * Squared error Σ ((Q(A) − A)·V)² over sampled rows. A: [..., Nq, Nk], V: [..., Nk, d] with equal
 * leading (batch·head) dims.
 */
export function attentionOutputError(a: Float32Array, aDims: readonly number[], v: Float32Array, vDims: readonly number[], quantize: (x: number) => number): number {
  const nq = aDims[aDims.length - 2];
  const nk = aDims[aDims.length - 1];
  const d = vDims[vDims.length - 1];
  if (vDims[vDims.length - 2] !== nk) throw new Error(`softmax·v shapes do not chain: A [${aDims}] · V [${vDims}].`);
  const batches = a.length / (nq * nk);
  const vBatches = v.length / (nk * d);
  const totalRows = batches * nq;
  const stride = Math.max(1, Math.floor(totalRows / MAX_ROWS));
  const delta = new Float64Array(nk);
  let error = 0;
  for (let row = 0; row < totalRows; row += stride) {
    const batch = Math.floor(row / nq);
    const aOffset = row * nk;
    const vOffset = (vBatches === 1 ? 0 : batch % vBatches) * nk * d;
    for (let k = 0; k < nk; k++) delta[k] = quantize(a[aOffset + k]) - a[aOffset + k];
    for (let j = 0; j < d; j++) {
      let sum = 0;
      for (let k = 0; k < nk; k++) sum += delta[k] * v[vOffset + k * d + j];
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
  const names = targets.flatMap((u) => u.activationInputs);
  const session = await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, names)), options.sessionOptions);
  // errors[bits][unit id][candidate index]
  const errors = new Map(options.widths.map((bits) => [bits, new Map(targets.map((u) => [u.id, candidatesAt(bits).map(() => 0)]))]));
  try {
    for (const feeds of batches) {
      const results = await session.run(feeds, [...new Set(names)]);
      for (const unit of targets) {
        const softmaxInput = unit.postSoftmaxInput!;
        const a = results[unit.activationInputs[softmaxInput]];
        const v = results[unit.activationInputs[1 - softmaxInput]];
        for (const bits of options.widths) {
          const range = rangesAt(bits)[siteKey(unit.id, softmaxInput)];
          if (!range) throw new Error(`No calibrated range for the attention input of "${unit.id}" at ${bits} bits.`);
          const scale = Math.fround(range.max);
          const sums = errors.get(bits)!.get(unit.id)!;
          candidatesAt(bits).forEach((tau, i) => {
            sums[i] += attentionOutputError(a.data as Float32Array, a.dims, v.data as Float32Array, v.dims, (x) => log2Quant(x, scale, bits, tau));
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
