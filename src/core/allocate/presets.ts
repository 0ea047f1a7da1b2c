/** Candidate width presets and defaults of METHOD.md, "The integer program" (all (repro) values). */

export type CandidatePresetName = 'W4A4' | 'W5A5' | 'W6A6';

/** Candidate widths per target budget: the allocation moves around the budget's width by ±2 bits. */
export const CANDIDATE_PRESETS: Readonly<Record<CandidatePresetName, readonly number[]>> = {
  W4A4: [2, 3, 4, 5, 6],
  W5A5: [3, 4, 5, 6, 7],
  W6A6: [4, 5, 6, 7, 8],
};

/** Weight λ of the synergy penalty. */
export const DEFAULT_SYNERGY_LAMBDA = 0.1;

/** Lower bounds sit at this fraction of each budget when enabled. */
export const DEFAULT_LOWER_BOUND_FRACTION = 0.95;

const BITS_PER_MEGABYTE = 8e6;

/** Megabytes (10⁶ bytes) of weights to bits. */
export function megabytesToBits(megabytes: number): number {
  return megabytes * BITS_PER_MEGABYTE;
}

/** Bits of weights to megabytes (10⁶ bytes). */
export function bitsToMegabytes(bits: number): number {
  return bits / BITS_PER_MEGABYTE;
}

/**
 * Parses a free candidate list typed by a user ("3, 4, 6" or "2-6"), returning sorted unique widths.
 * Throws with a readable message on anything else.
 */
export function parseCandidateList(text: string): number[] {
  const widths = new Set<number>();
  for (const part of text.split(/[,\s]+/).filter((p) => p.length > 0)) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (from > to) throw new Error(`Candidate range "${part}" runs backwards.`);
      for (let w = from; w <= to; w++) widths.add(w);
    } else if (/^\d+$/.test(part)) {
      widths.add(Number(part));
    } else {
      throw new Error(`"${part}" is not a bit-width; write widths like "2, 3, 4" or a range like "2-6".`);
    }
  }
  const sorted = [...widths].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error('Give at least one candidate bit-width.');
  for (const w of sorted) {
    if (w < 1 || w > 32) throw new Error(`Bit-width ${w} is outside 1..32.`);
  }
  return sorted;
}
