/**
 * Weights rounded by a method other than round-to-nearest (GPTQ), per unit and width, as the
 * dequantized values in the weight's own layout. The parametric simulation selects them in place of
 * its in-graph rounding and the export stores their codes, so export ≡ simulation still holds: on the
 * unit's grid, round-to-nearest of such a value is its code.
 */
import { foldWeight } from '../onnx/fold.ts';
import { GraphIndex } from '../onnx/graph.ts';
import type { ModelProto } from '../onnx/proto.ts';
import { DEFAULT_GPTQ, gptqWeight, prepareHessian, type GptqOptions } from './gptq.ts';
import type { QuantUnit } from './units.ts';
import type { WeightTable } from './weight-tables.ts';

/** Rounded weight values by unit id, then by width. */
export type RoundedWeights = ReadonlyMap<string, ReadonlyMap<number, Float32Array>>;

export interface GptqUnitReport {
  unitId: string;
  /** The dampening that made H positive definite (raised from the setting when it was not). */
  dampening: number;
  deadColumns: number;
}

export interface GptqRounding {
  weights: Map<string, Map<number, Float32Array>>;
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
    const byWidth = new Map<number, Float32Array>();
    for (const bits of widths) {
      const w = tableWidths.indexOf(bits);
      if (w < 0) throw new Error(`GPTQ: width ${bits} is not among the weight tables' widths [${tableWidths.join(', ')}].`);
      byWidth.set(bits, gptqWeight(folded.data, folded.dims, unit.weight.channelAxis, prepared, table.params[w], settings.blockSize));
    }
    result.weights.set(unit.id, byWidth);
    result.units.push({ unitId: unit.id, dampening: prepared.dampening, deadColumns: prepared.dead.reduce((a, b) => a + b, 0) });
  }
  return result;
}
