/**
 * The integer program in glpk.js's JSON form (highsModel.ts translates it for HiGHS), with the FLOW linearization of |b_i − b_{i+1}|
 * (METHOD.md, "The integer program"; ENVIRONMENT.md, "Integer programming"):
 *   x[k] ∈ {0,1} one-hot per unit; y[i][j][k] ≥ 0 continuous for consecutive options j (unit i), k (unit i+1),
 *   Σ_k y[i][j][k] = x[j] and Σ_j y[i][j][k] = x[k]; the pair cost λŜ_i·|w_j − w_k| is paid on y.
 * Its LP bound equals the Lagrangian bound (the flow polytope of a chain is integral), unlike the weak
 * y ≥ x + x' − 1 form. Options ruled out by Lagrangian fixing (exact.ts) are left out of the model.
 */
import type { LP } from 'glpk.js';
import type { ChainProblem } from './chain';
import { BUDGET_TOLERANCE } from './chain';
import { GLPK_CONSTANTS as constants } from './highsModel';

export interface FlowModel {
  lp: LP;
  /** Units that still have a choice; the others are fixed to their only allowed option. */
  variableUnits: number;
  /** Reads the option per unit back from glpk's variable values. */
  decode(values: Readonly<Record<string, number>>): Int32Array;
  /** The model's variable values for an allocation (option per unit), e.g. to start a solver from it. */
  encode(choice: ArrayLike<number>): Record<string, number>;
  /** The objective's constant part and scale: internal cost = constant + z / scale. */
  objectiveConstant: number;
  objectiveScale: number;
}

export interface FlowModelOptions {
  /** allowedOption[k] = 0 removes option k (at least one option per unit must stay). */
  allowedOption?: Uint8Array;
  /** Whether the pair (j of unit i, k of unit i+1) may be used; default all. */
  allowedPair?: (i: number, j: number, k: number) => boolean;
  /** Adds the row cost ≤ cutoff (internal cost): prunes every branch that cannot beat a known allocation. */
  cutoff?: number;
  /** Internal cost is multiplied by this in glpk's objective, to keep its coefficients near 1. */
  objectiveScale?: number;
}

const xName = (k: number) => `x${k}`;
const yName = (j: number, k: number) => `y${j}_${k}`;

export function buildFlowModel(chain: ChainProblem, options: FlowModelOptions = {}): FlowModel {
  const { offsets, width, pairWeight } = chain;
  const scale = options.objectiveScale ?? 1;
  const allowed = (k: number) => !options.allowedOption || options.allowedOption[k] === 1;
  const allowedPair = options.allowedPair ?? (() => true);
  const optionsOf: number[][] = [];
  for (let i = 0; i < chain.unitCount; i++) {
    const list: number[] = [];
    for (let k = offsets[i]; k < offsets[i + 1]; k++) if (allowed(k)) list.push(k);
    if (list.length === 0) throw new Error(`Every option of unit ${i} was ruled out.`);
    optionsOf.push(list);
  }
  const isFixed = (i: number) => optionsOf[i].length === 1;

  // Constant parts: fixed units' cost, size, BOPs, and pair costs between two fixed units.
  let constantCost = 0;
  let constantSize = 0;
  let constantBops = 0;
  const objective = new Map<string, number>();
  const addObjective = (name: string, coef: number) => objective.set(name, (objective.get(name) ?? 0) + coef);
  const subjectTo: LP['subjectTo'] = [];
  const binaries: string[] = [];
  const sizeRow: { name: string; coef: number }[] = [];
  const bopsRow: { name: string; coef: number }[] = [];
  const cutoffRow = new Map<string, number>();
  const addCost = (name: string, coef: number) => {
    addObjective(name, coef * scale);
    cutoffRow.set(name, (cutoffRow.get(name) ?? 0) + coef * scale);
  };

  for (let i = 0; i < chain.unitCount; i++) {
    if (isFixed(i)) {
      const k = optionsOf[i][0];
      constantCost += chain.cost[k];
      constantSize += chain.size[k];
      constantBops += chain.bops[k];
      continue;
    }
    const oneHot: { name: string; coef: number }[] = [];
    for (const k of optionsOf[i]) {
      const name = xName(k);
      binaries.push(name);
      oneHot.push({ name, coef: 1 });
      addCost(name, chain.cost[k]);
      if (chain.size[k] !== 0) sizeRow.push({ name, coef: chain.size[k] });
      if (chain.bops[k] !== 0) bopsRow.push({ name, coef: chain.bops[k] });
    }
    subjectTo.push({ name: `one${i}`, vars: oneHot, bnds: { type: constants.GLP_FX, lb: 1, ub: 1 } });
  }

  for (let i = 0; i + 1 < chain.unitCount; i++) {
    const weight = pairWeight[i];
    if (weight === 0) continue;
    const left = optionsOf[i];
    const right = optionsOf[i + 1];
    if (isFixed(i) && isFixed(i + 1)) {
      constantCost += weight * Math.abs(width[left[0]] - width[right[0]]);
    } else if (isFixed(i) || isFixed(i + 1)) {
      // A fixed neighbour turns the pair cost into a per-option cost of the other unit.
      const [fixedOption, free] = isFixed(i) ? [left[0], right] : [right[0], left];
      for (const k of free) addCost(xName(k), weight * Math.abs(width[k] - width[fixedOption]));
    } else {
      const outflow = new Map<number, { name: string; coef: number }[]>(left.map((j) => [j, [{ name: xName(j), coef: -1 }]]));
      const inflow = new Map<number, { name: string; coef: number }[]>(right.map((k) => [k, [{ name: xName(k), coef: -1 }]]));
      for (const j of left) {
        for (const k of right) {
          if (!allowedPair(i, j, k)) continue;
          const name = yName(j, k);
          const cost = weight * Math.abs(width[j] - width[k]);
          if (cost !== 0) addCost(name, cost);
          else addObjective(name, 0);
          outflow.get(j)?.push({ name, coef: 1 });
          inflow.get(k)?.push({ name, coef: 1 });
        }
      }
      for (const [j, vars] of outflow) subjectTo.push({ name: `out${j}`, vars, bnds: { type: constants.GLP_FX, lb: 0, ub: 0 } });
      for (const [k, vars] of inflow) subjectTo.push({ name: `in${i}_${k}`, vars, bnds: { type: constants.GLP_FX, lb: 0, ub: 0 } });
    }
  }

  // Budget rows on the sides meetsBudgets accepts (with its slack), less what fixed units already use.
  const addBudgetRow = (name: string, vars: { name: string; coef: number }[], max: number, min: number, used: number) => {
    const upper = Number.isFinite(max) ? max * (1 + BUDGET_TOLERANCE) - used : Infinity;
    const lower = Number.isFinite(min) ? min * (1 - BUDGET_TOLERANCE) - used : -Infinity;
    if (upper === Infinity && lower === -Infinity) return;
    const bnds =
      upper === Infinity
        ? { type: constants.GLP_LO, lb: lower, ub: 0 }
        : lower === -Infinity
          ? { type: constants.GLP_UP, lb: 0, ub: upper }
          : { type: constants.GLP_DB, lb: lower, ub: upper };
    subjectTo.push({ name, vars, bnds });
  };
  addBudgetRow('size', sizeRow, chain.sizeMax, chain.sizeMin, constantSize);
  addBudgetRow('bops', bopsRow, chain.bopsMax, chain.bopsMin, constantBops);
  if (options.cutoff !== undefined && Number.isFinite(options.cutoff) && cutoffRow.size > 0) {
    const vars = [...cutoffRow].map(([name, coef]) => ({ name, coef }));
    subjectTo.push({ name: 'cutoff', vars, bnds: { type: constants.GLP_UP, lb: 0, ub: (options.cutoff - constantCost) * scale } });
  }

  const lp: LP = {
    name: 'bit-allocation',
    objective: { direction: constants.GLP_MIN, name: 'cost', vars: [...objective].map(([name, coef]) => ({ name, coef })) },
    subjectTo,
    binaries,
  };
  const variableUnits = optionsOf.filter((list) => list.length > 1).length;
  return {
    lp,
    variableUnits,
    objectiveConstant: constantCost,
    objectiveScale: scale,
    decode(values) {
      const choice = new Int32Array(chain.unitCount);
      for (let i = 0; i < chain.unitCount; i++) {
        const list = optionsOf[i];
        let best = list[0];
        for (const k of list) if ((values[xName(k)] ?? 0) > (values[xName(best)] ?? 0)) best = k;
        choice[i] = best;
      }
      return choice;
    },
    encode(choice) {
      const values: Record<string, number> = {};
      for (let i = 0; i < chain.unitCount; i++) {
        if (isFixed(i)) continue;
        values[xName(choice[i])] = 1;
        if (i + 1 < chain.unitCount && !isFixed(i + 1) && pairWeight[i] !== 0) values[yName(choice[i], choice[i + 1])] = 1;
      }
      return values;
    },
  };
}
