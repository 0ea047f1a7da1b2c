/**
 * Weights rounded by a method other than round-to-nearest (GPTQ), per unit and width, as integer codes
 * on the simulation's per-channel grids, in the weight's own layout (one byte per weight up to 8 bits).
 * The parametric simulation dequantizes them in place of its in-graph rounding and the export stores
 * them, so export ≡ simulation still holds.
 */
import { foldWeight } from '../onnx/fold.ts';
import { GraphIndex } from '../onnx/graph.ts';
import type { ModelProto } from '../onnx/proto.ts';
import { DEFAULT_GPTQ, gptqWeightCodes, prepareHessian, type GptqOptions } from './gptq.ts';
import type { Grid, UniformParams } from './quantizers.ts';
import type { QuantUnit } from './units.ts';
import type { WeightTable } from './weight-tables.ts';

/** Codes of one weight at one width: bytes up to 8 bits (Int8 on a symmetric grid), else 32-bit. */
export type WeightCodes = Uint8Array | Int8Array | Int32Array;

/** Rounded weight codes by unit id, then by width. */
export type RoundedWeights = ReadonlyMap<string, ReadonlyMap<number, WeightCodes>>;

/** The smallest array type holding codes of a grid. */
export function compactCodes(codes: ArrayLike<number>, grid: Grid): WeightCodes {
  if (grid.qmin >= 0 && grid.qmax <= 255) return Uint8Array.from(codes);
  if (grid.qmin >= -128 && grid.qmax <= 127) return Int8Array.from(codes);
  return Int32Array.from(codes);
}

/** The dequantized values (q − z)·s in float32 of codes in the weight's layout; round-to-nearest gives the codes back. */
export function dequantizeCodes(codes: WeightCodes, dims: readonly number[], channelAxis: number, params: readonly UniformParams[]): Float32Array {
  const channels = dims[channelAxis];
  const inner = dims.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const values = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const p = params[Math.floor(i / inner) % channels];
    values[i] = Math.fround((codes[i] - p.zeroPoint) * p.scale);
  }
  return values;
}

export interface GptqUnitReport {
  unitId: string;
  /** The dampening that made H positive definite (raised from the setting when it was not). */
  dampening: number;
  deadColumns: number;
}

export interface GptqRounding {
  weights: Map<string, Map<number, WeightCodes>>;
  units: GptqUnitReport[];
  /** Units with a Hessian whose H stayed singular: they keep round-to-nearest. */
  singular: string[];
}

/**
 * GPTQ at each of `widths` for every unit that has a Hessian, on the per-channel grids of `tables`
 * (the simulation's weight tables, whose widths are `tableWidths`).
 */
export function gptqRoundedWeights(
  model: ModelProto,
  units: readonly QuantUnit[],
  tables: ReadonlyMap<string, WeightTable>,
  tableWidths: readonly number[],
  widths: readonly number[],
  hessians: ReadonlyMap<string, Float64Array>,
  options: Partial<GptqOptions> = {},
): GptqRounding {
  const settings = { ...DEFAULT_GPTQ, ...options };
  const index = new GraphIndex(model.graph!);
  const result: GptqRounding = { weights: new Map(), units: [], singular: [] };
  for (const unit of units) {
    const hessian = hessians.get(unit.id);
    const table = tables.get(unit.id);
    if (!hessian || !table || !unit.weight) continue;
    const folded = foldWeight(index, unit.weight.value, unit.nodeName);
    const columns = folded.data.length / unit.weight.dims[unit.weight.channelAxis];
    const prepared = prepareHessian(hessian, columns, settings.dampening);
    if (!prepared) {
      result.singular.push(unit.id);
      continue;
    }
    const byWidth = new Map<number, WeightCodes>();
    for (const bits of widths) {
      const w = tableWidths.indexOf(bits);
      if (w < 0) throw new Error(`GPTQ: width ${bits} is not among the weight tables' widths [${tableWidths.join(', ')}].`);
      const params = table.params[w];
      byWidth.set(bits, compactCodes(gptqWeightCodes(folded.data, folded.dims, unit.weight.channelAxis, prepared, params, settings.blockSize), params[0]));
    }
    result.weights.set(unit.id, byWidth);
    result.units.push({ unitId: unit.id, dampening: prepared.dampening, deadColumns: prepared.dead.reduce((a, b) => a + b, 0) });
  }
  return result;
}
