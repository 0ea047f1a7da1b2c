/** Checks an AllocationProblem and throws one readable sentence naming the first thing that is wrong. */
import type { AllocationProblem, BudgetSpec } from './types';

export function validateProblem(problem: AllocationProblem): void {
  const { units, candidates, objective } = problem;
  if (units.length === 0) throw new Error('There are no units to allocate bits to.');
  units.forEach((unit, i) => {
    const label = unitLabel(problem, i);
    if (!(Number.isFinite(unit.params) && unit.params >= 0)) throw new Error(`${label} has an invalid parameter count (${unit.params}).`);
    if (!(Number.isFinite(unit.macs) && unit.macs >= 0)) throw new Error(`${label} has an invalid MAC count (${unit.macs}).`);
    if (unit.activationBits !== undefined) checkWidth(unit.activationBits, `${label}'s activation width`);
  });
  if (problem.activationBits !== undefined && problem.activationBits !== null) {
    checkWidth(problem.activationBits, 'The fixed activation width');
  }
  if (problem.sizeCounting !== undefined && problem.sizeCounting !== 'ideal' && problem.sizeCounting !== 'stored') {
    throw new Error(`The size budget counts weights as "ideal" or "stored", not "${String(problem.sizeCounting)}".`);
  }
  if (candidates.length === 0) throw new Error('Choose at least one candidate bit-width.');
  candidates.forEach((w) => checkWidth(w, 'Candidate width'));
  if (new Set(candidates).size !== candidates.length) throw new Error('Candidate widths repeat.');

  const locks = problem.locks ?? [];
  if (locks.length > units.length) throw new Error(`There are ${locks.length} locks for ${units.length} units.`);
  locks.forEach((lock, i) => {
    if (!lock) return;
    if (lock.kind === 'fp' && lock.bits !== 16 && lock.bits !== 32) {
      throw new Error(`${unitLabel(problem, i)} is locked to full precision at ${String(lock.bits)} bits; use 16 or 32.`);
    }
    if (lock.kind === 'fixed') checkWidth(lock.bits, `${unitLabel(problem, i)}'s locked width`);
  });

  const pairs = units.length - 1;
  if (objective.synergy.length !== pairs) {
    throw new Error(`Synergy needs one value per adjacent pair (${pairs}), got ${objective.synergy.length}.`);
  }
  objective.synergy.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new Error(`Synergy between units ${i} and ${i + 1} is not a number.`);
  });
  if (!(Number.isFinite(objective.lambda) && objective.lambda >= 0)) {
    throw new Error(`The synergy weight λ must be a number ≥ 0 (got ${objective.lambda}).`);
  }
  if (objective.mode === 'paper') {
    if (objective.importance.length !== units.length) {
      throw new Error(`Importance needs one value per unit (${units.length}), got ${objective.importance.length}.`);
    }
    objective.importance.forEach((omega, i) => {
      if (!Number.isFinite(omega)) throw new Error(`Importance of ${unitLabel(problem, i)} is not a number.`);
    });
  } else {
    const { widths, lossByUnit } = objective.sensitivity;
    if (lossByUnit.length !== units.length) {
      throw new Error(`Sensitivity needs one row per unit (${units.length}), got ${lossByUnit.length}.`);
    }
    lossByUnit.forEach((row, i) => {
      if (row.length !== widths.length) {
        throw new Error(`Sensitivity of ${unitLabel(problem, i)} has ${row.length} values for ${widths.length} widths.`);
      }
      const lock = locks[i];
      const needed = lock ? (lock.kind === 'fixed' ? [lock.bits] : []) : candidates;
      for (const w of needed) {
        const j = widths.indexOf(w);
        if (j < 0) throw new Error(`Sensitivity of ${unitLabel(problem, i)} was not measured at ${w} bits.`);
        if (!Number.isFinite(row[j])) throw new Error(`Sensitivity of ${unitLabel(problem, i)} at ${w} bits is not a number.`);
      }
    });
  }
  validateBudgetSpec(problem.budgets);
}

export function validateBudgetSpec(budgets: BudgetSpec): void {
  const { size, bops, lowerBoundFraction } = budgets;
  if (size) {
    const value = 'averageBits' in size ? size.averageBits : size.megabytes;
    if (!(Number.isFinite(value) && value > 0)) throw new Error(`The size budget must be a positive number (got ${value}).`);
  }
  if (bops) {
    const value = 'averageBits' in bops ? bops.averageBits : bops.bops;
    if (!(Number.isFinite(value) && value > 0)) throw new Error(`The BOPs budget must be a positive number (got ${value}).`);
  }
  if (lowerBoundFraction !== undefined && lowerBoundFraction !== null) {
    if (!(lowerBoundFraction > 0 && lowerBoundFraction <= 1)) {
      throw new Error(`The lower-bound fraction must lie in (0, 1] (got ${lowerBoundFraction}).`);
    }
  }
}

function checkWidth(width: number, what: string): void {
  if (!(Number.isInteger(width) && width >= 1 && width <= 32)) throw new Error(`${what} must be an integer from 1 to 32 (got ${width}).`);
}

function unitLabel(problem: AllocationProblem, i: number): string {
  const name = problem.units[i]?.name;
  return name ? `Unit ${i} (${name})` : `Unit ${i}`;
}
