/**
 * Seeded synthetic allocation problems with realistic shapes, for tests and benchmarks: log-normal layer sizes,
 * activation × activation units without weights, importance Ω summing to 1, sensitivity σ_i(b) = f_i·4^(−b)
 * (the noise model of METHOD.md, "Quantization sensitivity") and positive synergy Ŝ.
 */
import type { AllocationObjective, AllocationProblem, AllocationUnit, BudgetSpec, UnitLock } from './types';

/** Mulberry32: a small, fast, seeded PRNG with uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface RandomProblemOptions {
  seed: number;
  unitCount: number;
  candidates: readonly number[];
  mode: 'paper' | 'sensitivity';
  budgets: BudgetSpec;
  /** How strongly synergy competes with the per-unit terms (1: one bit of difference ≈ one bit of gain). */
  synergyStrength?: number;
  lambda?: number;
  /** Probability that a unit is locked (half to full precision, half to a fixed candidate). */
  lockProbability?: number;
  /** Weights-only mode. */
  activationBits?: number | null;
}

export function randomProblem(options: RandomProblemOptions): AllocationProblem {
  const random = seededRandom(options.seed);
  const { unitCount, candidates, mode } = options;
  const lambda = options.lambda ?? 0.1;
  const strength = options.synergyStrength ?? 1;
  const units: AllocationUnit[] = [];
  for (let i = 0; i < unitCount; i++) {
    const activationOnly = random() < 0.2;
    const params = activationOnly ? 0 : Math.round(Math.exp(11 + 1.2 * normal(random)));
    const macs = Math.round(Math.exp(17 + 1.2 * normal(random)));
    units.push({ name: `unit${i}`, params, macs });
  }
  const locks: (UnitLock | null)[] = [];
  const lockProbability = options.lockProbability ?? 0;
  for (let i = 0; i < unitCount; i++) {
    if (random() >= lockProbability) locks.push(null);
    else if (random() < 0.5) locks.push({ kind: 'fp', bits: 16 });
    else locks.push({ kind: 'fixed', bits: candidates[Math.floor(random() * candidates.length)] });
  }
  const logNormal = (spread: number) => Math.exp(spread * normal(random));
  let objective: AllocationObjective;
  if (mode === 'paper') {
    const raw = units.map(() => logNormal(0.8));
    const total = raw.reduce((a, b) => a + b, 0);
    const importance = raw.map((r) => r / total);
    const synergy = Array.from({ length: unitCount - 1 }, () => ((strength / unitCount) * logNormal(0.7)) / lambda);
    objective = { mode, importance, synergy, lambda };
  } else {
    const factors = units.map(() => logNormal(1.5));
    const widths = [...new Set([...candidates, 16])].sort((a, b) => a - b);
    const lossByUnit = factors.map((f) => widths.map((w) => f * 4 ** -w * (1 + 0.05 * random())));
    const middle = [...candidates].sort((a, b) => a - b)[Math.floor(candidates.length / 2)];
    const typicalGain = 0.75 * 4 ** -middle;
    const synergy = Array.from({ length: unitCount - 1 }, () => (strength * typicalGain * logNormal(0.7)) / lambda);
    objective = { mode, sensitivity: { widths, lossByUnit }, synergy, lambda };
  }
  return {
    units,
    candidates,
    locks: lockProbability > 0 ? locks : undefined,
    activationBits: options.activationBits ?? null,
    budgets: options.budgets,
    objective,
  };
}
