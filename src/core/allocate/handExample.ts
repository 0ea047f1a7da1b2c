/**
 * A three-unit problem small enough to solve by hand; tests state its answers (worked out in the comments
 * of budgets.test.ts and instant.test.ts).
 */
import type { AllocationProblem } from './types';

export function handExample(overrides: Partial<AllocationProblem> = {}): AllocationProblem {
  return {
    units: [
      { name: 'qkv', params: 100, macs: 10 },
      { name: 'proj', params: 200, macs: 20 },
      { name: 'q·kᵀ', params: 0, macs: 30 },
    ],
    candidates: [2, 4],
    budgets: { size: { averageBits: 3 } },
    objective: { mode: 'paper', importance: [0.5, 0.3, 0.25], synergy: [1, 2], lambda: 0.1 },
    ...overrides,
  };
}
