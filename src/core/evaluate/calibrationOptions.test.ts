import { describe, expect, it } from 'vitest';
import type { CalibrationFacts } from '../analysis/analysisModel';
import { defaultAnalysisSettings } from '../analysis/settings';
import { calibrationOptionsOf, factsMatchSettings } from './calibrationOptions';

const base: CalibrationFacts = { ranges: {}, log2Tau: { 'dec.attn': 2 }, macs: {} };

describe('calibration options of analysis settings', () => {
  it('asks for what the settings say: per-width widths from 2 to two above the widest candidate, log2 on unless off', () => {
    expect(calibrationOptionsOf(defaultAnalysisSettings)).toEqual({ perWidth: undefined, log2PostSoftmax: true });
    expect(calibrationOptionsOf({ candidateBits: [3, 4, 5], perWidthRanges: true, perWidthLog2Tau: true, log2PostSoftmax: false })).toEqual({
      perWidth: { bits: [2, 3, 4, 5, 6, 7], ranges: true, log2Tau: true },
      log2PostSoftmax: false,
    });
  });

  it('tells stored facts calibrated otherwise apart', () => {
    const plain = { candidateBits: [2, 3, 4] };
    expect(factsMatchSettings(base, plain)).toBe(true);
    expect(factsMatchSettings(base, { ...plain, log2PostSoftmax: false })).toBe(false);
    const uniform: CalibrationFacts = { ...base, log2Tau: {}, log2PostSoftmax: false };
    expect(factsMatchSettings(uniform, { ...plain, log2PostSoftmax: false })).toBe(true);
    expect(factsMatchSettings(uniform, plain)).toBe(false);

    const perWidth = { ...plain, perWidthRanges: true, perWidthLog2Tau: true };
    const rangesByBits = { 2: {}, 3: {} };
    expect(factsMatchSettings(base, perWidth)).toBe(false);
    expect(factsMatchSettings({ ...base, rangesByBits }, perWidth)).toBe(false);
    expect(factsMatchSettings({ ...base, rangesByBits, log2TauByBits: { 2: { 'dec.attn': 1 } } }, perWidth)).toBe(true);
    // The uniform softmax·v quantizer has no τ to choose per width.
    expect(factsMatchSettings({ ...uniform, rangesByBits }, { ...perWidth, log2PostSoftmax: false })).toBe(true);
  });
});
