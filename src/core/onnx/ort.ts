/**
 * The onnxruntime module is injected (onnxruntime-node in Node, onnxruntime-web in browsers and
 * workers): core code only depends on onnxruntime-common's types.
 */
import type * as OrtCommon from 'onnxruntime-common';
import type { ModelProto } from './proto.ts';
import { encodeModelBytes } from './proto.ts';
import { withExtraOutputs } from './rewrite.ts';

export type OrtModule = typeof OrtCommon;
export type OrtSession = OrtCommon.InferenceSession;
export type OrtTensor = OrtCommon.Tensor;
export type OrtFeeds = Record<string, OrtCommon.Tensor>;
export type SessionOptions = OrtCommon.InferenceSession.SessionOptions;

/** Plain tensor data (what workers pass around and core functions return). */
export interface PlainTensor {
  type: 'float32' | 'int32' | 'int64' | 'bool' | 'uint8';
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  dims: readonly number[];
}

export function toOrtFeeds(ort: OrtModule, feeds: Readonly<Record<string, PlainTensor>>): OrtFeeds {
  const out: OrtFeeds = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort.Tensor(t.type, t.data, t.dims);
  return out;
}

/**
 * Session options under which a fake-quant simulation and its exported Q/DQ model compute the same
 * float operations, so that their outputs can be compared bit for bit. Create BOTH sessions with
 * them when checking an export (verifyExport):
 * - no graph optimizations: constant folding turns the export's DequantizeLinear of constant
 *   weights into float constants and fusions treat them differently from the simulation's gated
 *   (never constant) weights; also no DequantizeLinear→MatMul fusion into MatMulNBits (drifts,
 *   ENVIRONMENT.md);
 * - no pre-packing: MLAS pre-packs constant MatMul weights into another summation order.
 * Quantization is discontinuous: a last-bit difference at a rounding boundary moves a value by one
 * level, which then spreads (measured on the demo encoder: up to 1e-2 of the output range under
 * default options). Matching options keep such flips out of the comparison.
 */
export const REFERENCE_SESSION_OPTIONS: SessionOptions = {
  graphOptimizationLevel: 'disabled',
  extra: { session: { disable_prepacking: '1' } },
};

/** Dims of intermediate values, from one run of a copy of the model that also returns them. */
export async function probeShapes(ort: OrtModule, model: ModelProto, feeds: OrtFeeds, names: readonly string[]): Promise<Map<string, number[]>> {
  const bytes = encodeModelBytes(withExtraOutputs(model, names));
  const session = await ort.InferenceSession.create(bytes);
  try {
    const results = await session.run(feeds);
    const shapes = new Map<string, number[]>();
    for (const name of names) {
      const tensor = results[name];
      if (tensor) shapes.set(name, [...tensor.dims]);
    }
    return shapes;
  } finally {
    await session.release();
  }
}
