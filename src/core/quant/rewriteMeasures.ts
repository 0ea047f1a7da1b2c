/**
 * What a graph rewrite (outlier migration, BIG) changes, measured with onnxruntime (injected): how far
 * its FP outputs move from the original's, and how much W/A quantization costs the outputs of chosen
 * units: x·W of weight units (per-channel MSE weights, per-tensor activations) and q·kᵀ of attention
 * matmuls (both inputs per tensor), with the project's quantizers and calibrate()'s ranges.
 */
import { foldWeight } from '../onnx/fold.ts';
import { GraphIndex } from '../onnx/graph.ts';
import type { OrtFeeds, OrtModule } from '../onnx/ort.ts';
import { encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { calibrate } from './calibration.ts';
import { siteKey } from './config.ts';
import { activationParams, fakeQuantArray, fakeQuantWeight, weightParams } from './quantizers.ts';
import { discoverUnits, type QuantUnit } from './units.ts';

/** max over feeds and float outputs of max |a − b| / max |a|. */
export async function maxRelativeOutputDifference(ort: OrtModule, original: ModelProto, rewritten: ModelProto, feeds: readonly OrtFeeds[]): Promise<number> {
  const sessions = await Promise.all([original, rewritten].map((model) => ort.InferenceSession.create(encodeModelBytes(model))));
  let worst = 0;
  try {
    for (const feed of feeds) {
      const [expected, actual] = [await sessions[0].run(feed), await sessions[1].run(feed)];
      for (const [name, tensor] of Object.entries(expected)) {
        if (tensor.type !== 'float32') continue;
        const [a, b] = [tensor.data as Float32Array, actual[name].data as Float32Array];
        let difference = 0;
        let scale = 0;
        for (let i = 0; i < a.length; i++) {
          difference = Math.max(difference, Math.abs(a[i] - b[i]));
          scale = Math.max(scale, Math.abs(a[i]));
        }
        if (scale > 0) worst = Math.max(worst, difference / scale);
      }
    }
  } finally {
    await Promise.all(sessions.map((session) => session.release()));
  }
  return worst;
}

/**
 * Σ‖y − ŷ‖² / Σ‖y‖² over the named units (weight units or q·kᵀ matmuls) and feeds, for each width b
 * (weights and activations both at b): y = x·W or q·kᵀ in float64, ŷ the same of the fake-quantized
 * inputs. `rowStride` keeps every n-th activation row of weight units (rows of tokens are alike).
 */
export async function quantizedUnitError(
  ort: OrtModule,
  model: ModelProto,
  nodeNames: readonly string[],
  feeds: readonly OrtFeeds[],
  widths: readonly number[],
  options: { rowStride?: number } = {},
): Promise<number[]> {
  const units = discoverUnits(model).filter((unit) => nodeNames.includes(unit.nodeName));
  const missing = nodeNames.filter((name) => !units.some((unit) => unit.nodeName === name));
  if (missing.length > 0) throw new Error(`No unit for the nodes ${missing.join(', ')}.`);
  const ranges = await calibrate(ort, model, units, feeds);
  const index = new GraphIndex(model.graph!);
  const session = await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, units.flatMap((unit) => unit.activationInputs))));
  const error = widths.map(() => 0);
  let energy = 0;
  const quantizeInput = (unit: QuantUnit, input: number, data: Float32Array, bits: number) => {
    const range = ranges[siteKey(unit.id, input)];
    return fakeQuantArray(data, activationParams(range.min, range.max, bits));
  };
  try {
    for (const feed of feeds) {
      const results = await session.run(feed);
      for (const unit of units) {
        let product: (a: Float32Array, b: Float32Array) => Float64Array;
        let inputs: Float32Array[];
        if (unit.weight) {
          if (unit.weight.inputIndex !== 1 || unit.op !== 'MatMul') throw new Error(`Unit "${unit.nodeName}" is not an x·W MatMul.`);
          const weight = foldWeight(index, unit.weight.value, unit.nodeName);
          const [k, n] = weight.dims;
          inputs = [everyNthRow(results[unit.activationInputs[0]].data as Float32Array, k, options.rowStride ?? 1), weight.data];
          product = (x, w) => batchMatmul(x, w, [x.length / k, k], [k, n]);
        } else {
          const [a, b] = unit.activationInputs.map((name) => results[name]);
          inputs = [a.data as Float32Array, b.data as Float32Array];
          product = (x, y) => batchMatmul(x, y, a.dims, b.dims);
        }
        const exact = product(inputs[0], inputs[1]);
        for (const y of exact) energy += y * y;
        widths.forEach((bits, w) => {
          const quantized = unit.weight
            ? product(quantizeInput(unit, 0, inputs[0], bits), fakeQuantWeight(inputs[1], unit.weight.dims, unit.weight.channelAxis, weightParams(inputs[1], unit.weight.dims, unit.weight.channelAxis, bits)))
            : product(quantizeInput(unit, 0, inputs[0], bits), quantizeInput(unit, 1, inputs[1], bits));
          for (let i = 0; i < exact.length; i++) error[w] += (exact[i] - quantized[i]) ** 2;
        });
      }
    }
  } finally {
    await session.release();
  }
  return error.map((e) => e / energy);
}

function everyNthRow(x: Float32Array, width: number, stride: number): Float32Array {
  if (stride === 1) return x;
  const rows = Math.ceil(x.length / width / stride);
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(x.subarray(stride * r * width, (stride * r + 1) * width), r * width);
  return out;
}

/** [.., n, d] · [.., d, m] in float64 (a batch of one when b is a plain matrix). */
function batchMatmul(a: Float32Array, b: Float32Array, aDims: readonly number[], bDims: readonly number[]): Float64Array {
  const [n, d] = aDims.slice(-2);
  const m = bDims[bDims.length - 1];
  const batches = a.length / (n * d);
  const bStride = b.length === d * m ? 0 : d * m;
  const out = new Float64Array(batches * n * m);
  for (let h = 0; h < batches; h++) {
    for (let i = 0; i < n; i++) {
      const row = (h * n + i) * m;
      for (let t = 0; t < d; t++) {
        const x = a[(h * n + i) * d + t];
        if (x === 0) continue;
        const offset = h * bStride + t * m;
        for (let j = 0; j < m; j++) out[row + j] += x * b[offset + j];
      }
    }
  }
  return out;
}
