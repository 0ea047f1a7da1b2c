/**
 * From the analysis results and the budget controls to the integer program of METHOD.md ("The integer
 * program"), and from a solver's answer back to a width per unit id. Pure functions: the budget slice calls
 * them, tests run them in Node.
 */
import {
  CANDIDATE_PRESETS,
  DEFAULT_LOWER_BOUND_FRACTION,
  parseCandidateList,
  type AllocationObjective,
  type AllocationProblem,
  type BudgetSpec,
  type CandidatePresetName,
  type SizeCounting,
  type UnitLock,
} from '../core/allocate';
import type { AnalysisResults, UnitAnalysis } from '../core/analysis/analysisResults';
import { extrapolateSensitivity } from '../core/analysis/metrics';
import { objectiveScalePerBit } from '../core/study/plan';

export type ObjectiveMode = 'paper' | 'sensitivity';
export type CandidatePreset = CandidatePresetName | 'custom';

/** What the budget controls set. Budgets are average widths b̄ (METHOD.md: size (Σp)·b̄, BOPs Σ MAC·b̄²). */
export interface BudgetSettings {
  sizeEnabled: boolean;
  sizeAverageBits: number;
  bopsEnabled: boolean;
  bopsAverageBits: number;
  /** λ of the synergy penalty. */
  lambda: number;
  /**
   * 'objective': λ counts in units of the objective's own change per bit of an average unit, so the same λ
   * means the same trade in either mode (raw σ is a KL of 1e-8…1e-2 while Ŝ is 3…14: a raw λ of 0.1 forces a
   * uniform allocation — see bench/results/quality-attempts.md). 'raw': λ as METHOD.md writes it.
   */
  lambdaScale: 'raw' | 'objective';
  objectiveMode: ObjectiveMode;
  preset: CandidatePreset;
  /** Typed candidate list for the custom preset ("3, 4, 6" or "2-6"). */
  customCandidates: string;
  /** Budget floors at 0.95 of each budget ((repro) option). */
  lowerBounds: boolean;
  /** How the size budget counts a weight: its width (the paper's Σ p·b) or the INT4 / INT8 container the file stores. */
  sizeCounting: SizeCounting;
}

export const defaultBudgetSettings: BudgetSettings = {
  sizeEnabled: true,
  sizeAverageBits: 4,
  bopsEnabled: true,
  bopsAverageBits: 4,
  // Sensitivity mode with λ = 0.01 on the objective's scale: the quality study's best setting (README).
  lambda: 0.01,
  lambdaScale: 'objective',
  objectiveMode: 'sensitivity',
  preset: 'W4A4',
  customCandidates: '2-8',
  lowerBounds: false,
  sizeCounting: 'ideal',
};

/** The export stores weights as INT4 or INT8, so no candidate may be wider than 8 bits. */
export const MAX_CANDIDATE_BITS = 8;

/** Width a full-precision lock counts at in size and BOPs (the studio's models are float32). */
export const FP_LOCK_BITS = 32;

/** The budget width a preset is named for (W4A4 → 4), where the sliders move to when it is chosen. */
export function presetNominalBits(preset: CandidatePresetName): number {
  return Number(preset.slice(1, preset.indexOf('A')));
}

/** Candidate widths of the settings; throws a readable message for a bad custom list. */
export function candidatesOf(settings: Pick<BudgetSettings, 'preset' | 'customCandidates'>): number[] {
  if (settings.preset !== 'custom') return [...CANDIDATE_PRESETS[settings.preset]];
  const widths = parseCandidateList(settings.customCandidates);
  const tooWide = widths.filter((w) => w > MAX_CANDIDATE_BITS || w < 2);
  if (tooWide.length > 0) {
    throw new Error(`Candidate widths must lie in 2..${MAX_CANDIDATE_BITS} bits (the export stores INT4 or INT8 weights); got ${tooWide.join(', ')}.`);
  }
  return widths;
}

/**
 * σ_i(b) of one unit at each requested width: the analysis' values where it has them, otherwise the noise model
 * σ(b) ∝ 4^(−b) from the widths it measured (METHOD.md "Quantization sensitivity"), so a W6A6 preset can be
 * solved after an analysis of 2..6 bits.
 */
export function sensitivityAtWidths(unit: UnitAnalysis, results: Pick<AnalysisResults, 'candidateBits' | 'measuredBits'>, widths: readonly number[]): number[] {
  const measured = results.measuredBits
    .map((bits) => ({ bits, sigma: unit.sensitivity[results.candidateBits.indexOf(bits)] }))
    .filter((m) => m.sigma !== undefined);
  return widths.map((bits) => {
    const column = results.candidateBits.indexOf(bits);
    return column >= 0 ? unit.sensitivity[column] : extrapolateSensitivity(measured, bits);
  });
}

/** Widths the σ table must cover: the candidates and every fixed lock width. */
function tableWidths(candidates: readonly number[], locks: readonly (UnitLock | null)[]): number[] {
  const widths = new Set(candidates);
  for (const lock of locks) if (lock?.kind === 'fixed') widths.add(lock.bits);
  return [...widths].sort((a, b) => a - b);
}

export interface BuiltProblem {
  problem: AllocationProblem;
  /** Unit id of problem.units[i]. */
  unitIds: string[];
  /** A string equal for equal problems: answers are matched to requests by it. */
  key: string;
  /** The analysis run the numbers come from. */
  runKey: string;
}

/**
 * The allocation problem for these results and settings. Throws a sentence a person understands when the
 * analysis is not finished or the settings cannot be used.
 */
export function buildAllocationProblem(
  results: AnalysisResults | null,
  settings: BudgetSettings,
  locksById: Readonly<Record<string, UnitLock>>,
): BuiltProblem {
  if (!results) throw new Error('Run Analyze to measure importance; the budget needs it.');
  if (!results.complete) throw new Error(`The analysis is not finished (${results.probesDone}/${results.probesTotal} probes); run Analyze to complete it.`);
  if (results.units.length === 0) throw new Error('The analysis found no quantizable units.');
  const candidates = candidatesOf(settings);
  const units = results.units.map((unit) => ({ name: `${unit.part} · ${unit.role}`, params: unit.params, macs: unit.macs ?? 0 }));
  const locks = results.units.map((unit) => locksById[unit.id] ?? null);
  const synergy = [...results.synergy];
  const lambda = settings.lambdaScale === 'objective' ? settings.lambda * objectiveScalePerBit(results, settings.objectiveMode, candidates) : settings.lambda;
  let objective: AllocationObjective;
  if (settings.objectiveMode === 'paper') {
    objective = { mode: 'paper', importance: results.units.map((unit) => unit.importance), synergy, lambda };
  } else {
    const widths = tableWidths(candidates, locks);
    objective = {
      mode: 'sensitivity',
      sensitivity: { widths, lossByUnit: results.units.map((unit) => sensitivityAtWidths(unit, results, widths)) },
      synergy,
      lambda,
    };
  }
  const budgets: BudgetSpec = {
    size: settings.sizeEnabled ? { averageBits: settings.sizeAverageBits } : null,
    bops: settings.bopsEnabled ? { averageBits: settings.bopsAverageBits } : null,
    lowerBoundFraction: settings.lowerBounds ? DEFAULT_LOWER_BOUND_FRACTION : null,
  };
  const problem: AllocationProblem = { units, candidates, locks, budgets, objective, sizeCounting: settings.sizeCounting };
  const unitIds = results.units.map((unit) => unit.id);
  return { problem, unitIds, key: problemKey(results.runKey, problem), runKey: results.runKey };
}

/** Identity of a problem: the analysis run plus everything the user set (the numbers follow from both). */
export function problemKey(runKey: string, problem: AllocationProblem): string {
  const { objective, budgets, candidates, locks } = problem;
  return JSON.stringify([runKey, objective.mode, objective.lambda, candidates, locks, budgets, problem.sizeCounting ?? 'ideal']);
}

/**
 * Width per unit id: the solver's width for quantized units, null for units at full precision (locked to FP,
 * or excluded from quantization by default, as the analysis lists them).
 */
export function allocationByUnit(
  unitIds: readonly string[],
  bits: readonly number[],
  locks: readonly (UnitLock | null | undefined)[],
  excludedIds: readonly string[] = [],
): Record<string, number | null> {
  if (bits.length !== unitIds.length) throw new Error(`${bits.length} widths were given for ${unitIds.length} units.`);
  const allocation: Record<string, number | null> = {};
  for (const id of excludedIds) allocation[id] = null;
  unitIds.forEach((id, i) => {
    allocation[id] = locks[i]?.kind === 'fp' ? null : bits[i];
  });
  return allocation;
}

/**
 * The next lock when a unit's bar is clicked: free → fixed at its current width (pinned as shown; the middle
 * candidate when it has none) → full precision → free.
 */
export function nextLock(current: UnitLock | null | undefined, currentBits: number | null, candidates: readonly number[]): UnitLock | null {
  if (!current) {
    const middle = candidates[Math.floor((candidates.length - 1) / 2)] ?? 4;
    const bits = currentBits !== null && currentBits <= MAX_CANDIDATE_BITS ? currentBits : middle;
    return { kind: 'fixed', bits };
  }
  if (current.kind === 'fixed') return { kind: 'fp', bits: FP_LOCK_BITS };
  return null;
}

/** Size and BOPs of uniform models over the same units: the gauges' reference marks. */
export function uniformReference(problem: Pick<AllocationProblem, 'units'>, bits: number): { sizeBits: number; bops: number } {
  let sizeBits = 0;
  let bops = 0;
  for (const unit of problem.units) {
    sizeBits += unit.params * bits;
    bops += unit.macs * bits * bits;
  }
  return { sizeBits, bops };
}

/** Range of the budget sliders in average bits: one bit beyond the candidates on each side. */
export function sliderRange(candidates: readonly number[]): { min: number; max: number } {
  const min = Math.max(1, Math.min(...candidates) - 1);
  const max = Math.max(...candidates) + 1;
  return { min, max };
}
