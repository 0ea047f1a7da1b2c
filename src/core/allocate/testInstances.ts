/**
 * Small random problems for the property tests: every shape the solvers must handle (both objectives, locks,
 * weights-only mode, lower bounds, one or two budgets, tight and loose), small enough to enumerate.
 */
import type { AllocationProblem } from './types';
import { randomProblem, seededRandom } from './randomInstances';

const CANDIDATE_SETS: readonly (readonly number[])[] = [[2, 3, 4, 5, 6], [3, 4, 5], [4, 6, 8], [2, 4], [4, 5, 6, 7, 8]];

export function smallProblem(seed: number, maxUnits = 7): AllocationProblem {
  const random = seededRandom(seed * 7919 + 17);
  const unitCount = 1 + Math.floor(random() * maxUnits);
  const candidates = CANDIDATE_SETS[Math.floor(random() * CANDIDATE_SETS.length)];
  const low = candidates[0];
  const high = candidates[candidates.length - 1];
  // Budgets anywhere from below the narrowest width (often infeasible) to above the widest (not binding).
  const sizeBits = low - 0.3 + random() * (high - low + 0.6);
  const bopsBits = low - 0.3 + random() * (high - low + 0.6);
  const which = random();
  const budgets = {
    size: which < 0.75 ? { averageBits: sizeBits } : null,
    bops: which > 0.35 ? { averageBits: bopsBits } : null,
    lowerBoundFraction: random() < 0.2 ? 0.95 : null,
  };
  return randomProblem({
    seed,
    unitCount,
    candidates,
    mode: random() < 0.5 ? 'paper' : 'sensitivity',
    budgets,
    synergyStrength: 0.3 + random() * 3,
    lockProbability: random() < 0.3 ? 0.3 : 0,
    activationBits: random() < 0.2 ? 8 : null,
  });
}
