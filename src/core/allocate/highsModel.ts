/**
 * The flow MILP of milp.ts (glpk.js's JSON form) translated to HiGHS's sparse model: the same variables in the
 * same order, the same rows, the same bounds, so both solvers see one model. Binaries become integer columns
 * in [0, 1]; every other column is continuous and ≥ 0 (glpk's default).
 */
import type { LP } from 'glpk.js';
import type { ModelData } from 'highs';

/** The GLPK C constants glpk.js exposes (both its browser and its Node build use these numbers). */
export const GLPK_CONSTANTS = { GLP_MIN: 1, GLP_MAX: 2, GLP_FR: 1, GLP_LO: 2, GLP_UP: 3, GLP_DB: 4, GLP_FX: 5 } as const;

export interface HighsFlowModel {
  data: ModelData;
  /** Column names in HiGHS's column order. */
  columns: string[];
}

/** Row sides of a glpk bound (type, lb, ub) as [lower, upper]. */
function rowSides(bnds: { type: number; lb: number; ub: number }): [number, number] {
  switch (bnds.type) {
    case GLPK_CONSTANTS.GLP_FX:
      return [bnds.lb, bnds.lb];
    case GLPK_CONSTANTS.GLP_LO:
      return [bnds.lb, Infinity];
    case GLPK_CONSTANTS.GLP_UP:
      return [-Infinity, bnds.ub];
    case GLPK_CONSTANTS.GLP_DB:
      return [bnds.lb, bnds.ub];
    case GLPK_CONSTANTS.GLP_FR:
      return [-Infinity, Infinity];
    default:
      throw new Error(`Unknown row bound type ${bnds.type}.`);
  }
}

/**
 * `lp` must be built with GLPK_CONSTANTS (or glpk.js's own constants, the same numbers). `minimize` and
 * `integer` are HiGHS's codes (highs.constants.objectiveSense.minimize, variableType.integer), passed in so
 * this module needs no loaded runtime.
 */
export function toHighsModel(lp: LP, codes: { minimize: ModelData['sense']; integer: 1 }): HighsFlowModel {
  if (lp.objective.direction !== GLPK_CONSTANTS.GLP_MIN) throw new Error('The flow model is a minimization.');
  const index = new Map<string, number>();
  const columns: string[] = [];
  const column = (name: string) => {
    let at = index.get(name);
    if (at === undefined) {
      at = columns.length;
      index.set(name, at);
      columns.push(name);
    }
    return at;
  };
  for (const { name } of lp.objective.vars) column(name);
  for (const row of lp.subjectTo ?? []) for (const { name } of row.vars) column(name);
  const binaries = new Set(lp.binaries ?? []);
  for (const name of binaries) column(name);

  const cost = new Float64Array(columns.length);
  for (const { name, coef } of lp.objective.vars) cost[column(name)] += coef;
  const colLower = new Float64Array(columns.length);
  const colUpper = new Float64Array(columns.length).fill(Infinity);
  const integrality = new Int32Array(columns.length);
  for (const name of binaries) {
    const at = column(name);
    colUpper[at] = 1;
    integrality[at] = codes.integer;
  }

  const rows = lp.subjectTo ?? [];
  const rowLower = new Float64Array(rows.length);
  const rowUpper = new Float64Array(rows.length);
  const starts = new Int32Array(rows.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  rows.forEach((row, r) => {
    [rowLower[r], rowUpper[r]] = rowSides(row.bnds);
    // A row naming a column twice adds the coefficients, as glpk does.
    const entries = new Map<number, number>();
    for (const { name, coef } of row.vars) entries.set(column(name), (entries.get(column(name)) ?? 0) + coef);
    for (const [at, coef] of entries) {
      indices.push(at);
      values.push(coef);
    }
    starts[r + 1] = indices.length;
  });

  return {
    columns,
    data: {
      numCols: columns.length,
      numRows: rows.length,
      sense: codes.minimize,
      colCost: cost,
      colLower,
      colUpper,
      rowLower,
      rowUpper,
      matrix: { format: 'csr', numRows: rows.length, numCols: columns.length, starts, indices: Int32Array.from(indices), values: Float64Array.from(values) },
      integrality,
    },
  };
}
