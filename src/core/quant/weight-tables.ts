/** Per-channel weight quantizer parameters for every candidate width, computed once in TypeScript. */
import { foldWeight } from '../onnx/fold.ts';
import type { GraphIndex } from '../onnx/graph.ts';
import { channelParams, channelRows, checkBits, type QuantizerOptions, type UniformParams } from './quantizers.ts';
import type { QuantUnit } from './units.ts';

export interface WeightTable {
  unitId: string;
  /** params[b][c]: width index b (into the candidate widths), output channel c. */
  params: UniformParams[][];
}

/** MSE (or min-max) ranges of one weight unit at each width; the folded weight is read once. */
export function weightTable(index: GraphIndex, unit: QuantUnit, widths: readonly number[], quantizer: QuantizerOptions): WeightTable {
  const weight = unit.weight;
  if (!weight) throw new Error(`Unit "${unit.id}" has no weight.`);
  for (const bits of widths) {
    checkBits(bits, `unit ${unit.id}`);
    if (quantizer.weightSymmetric && bits < 2) throw new Error('Symmetric weight quantization needs at least 2 bits.');
  }
  const folded = foldWeight(index, weight.value, unit.nodeName);
  const rows = channelRows(folded.data, folded.dims, weight.channelAxis);
  return { unitId: unit.id, params: widths.map((bits) => rows.map((row) => channelParams(row, bits, quantizer))) };
}

/** Shape that broadcasts a per-channel vector against the weight: 1 everywhere but the channel axis. */
export function channelBroadcastDims(dims: readonly number[], axis: number): number[] {
  return dims.map((d, i) => (i === axis ? d : 1));
}
