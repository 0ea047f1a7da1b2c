/**
 * What a weight of a given width costs in the downloaded file: the export stores widths up to 4 bits as
 * INT4 and 5–8 bits as INT8 (quant/export.ts; the fast profiles' MatMulNBits and int8 kernels use the
 * same containers), so a 6-bit weight costs what an 8-bit one does. Wider than 8 stays float32.
 * Per-channel scales are left out, as the paper's Σ p·b leaves them out.
 */
import type { AllocationProblem } from './types';

/** How the size budget counts a weight: `ideal` its width b (the paper's Σ p·b), `stored` its container. */
export type SizeCounting = 'ideal' | 'stored';

export function storedWeightBits(bits: number): number {
  if (bits <= 4) return 4;
  if (bits <= 8) return 8;
  return 32;
}

/** Bits one weight of unit `i` at width `bits` counts for in the size budget. Full-precision locks count their own width. */
export function sizeWidth(problem: Pick<AllocationProblem, 'sizeCounting' | 'locks'>, i: number, bits: number): number {
  if (problem.sizeCounting !== 'stored' || problem.locks?.[i]?.kind === 'fp') return bits;
  return storedWeightBits(bits);
}

/** Σ p·b and Σ p·container(b) of an allocation (locked FP units at their width in both). */
export function allocationSizes(problem: Pick<AllocationProblem, 'units' | 'locks'>, bits: readonly number[]): { idealBits: number; storedBits: number } {
  let idealBits = 0;
  let storedBits = 0;
  problem.units.forEach((unit, i) => {
    idealBits += unit.params * bits[i];
    storedBits += unit.params * (problem.locks?.[i]?.kind === 'fp' ? bits[i] : storedWeightBits(bits[i]));
  });
  return { idealBits, storedBits };
}
