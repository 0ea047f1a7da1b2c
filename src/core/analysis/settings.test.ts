import { describe, expect, it } from 'vitest';
import { defaultAnalysisSettings, defaultFastBits, measuredBits, quantizedModelKey, settingsKey, validateSettings } from './settings';

describe('analysis settings', () => {
  it('picks the widths fast mode measures', () => {
    expect(defaultFastBits([2, 3, 4, 5, 6])).toEqual([3, 5]);
    expect(defaultFastBits([6, 2, 4])).toEqual([2, 6]);
    expect(defaultFastBits([4])).toEqual([4]);
    expect(defaultFastBits([4, 8, 8])).toEqual([4, 8]);
  });

  it('measures every candidate in exact mode and the fast widths in fast mode', () => {
    expect(measuredBits(defaultAnalysisSettings)).toEqual([2, 3, 4, 5, 6]);
    expect(measuredBits({ ...defaultAnalysisSettings, sensitivityMode: 'fast' })).toEqual([3, 5]);
  });

  it('says what is wrong with bad settings, and sorts widths', () => {
    expect(() => validateSettings({ ...defaultAnalysisSettings, promptsPerImage: 17 })).toThrow(/prompts per image must be a whole number from 1 to 16, got 17/);
    expect(() => validateSettings({ ...defaultAnalysisSettings, candidateBits: [] })).toThrow(/candidate widths must not be empty/);
    expect(() => validateSettings({ ...defaultAnalysisSettings, sensitivityMode: 'fast', fastProbeBits: [2, 4, 6] })).toThrow(/one or two widths/);
    expect(validateSettings({ ...defaultAnalysisSettings, candidateBits: [6, 2, 4, 2] }).candidateBits).toEqual([2, 4, 6]);
  });

  it('keys stored results only by what changes measured numbers', () => {
    const fast = { ...defaultAnalysisSettings, sensitivityMode: 'fast' as const, candidateBits: [4] };
    expect(settingsKey(fast)).toBe(settingsKey(defaultAnalysisSettings));
    expect(settingsKey({ ...defaultAnalysisSettings, promptsPerImage: 4 })).not.toBe(settingsKey(defaultAnalysisSettings));
    // The post-softmax quantizer changes σ: off is its own run; on keeps the keys of runs stored before the option.
    expect(settingsKey({ ...defaultAnalysisSettings, log2PostSoftmax: true })).toBe(settingsKey(defaultAnalysisSettings));
    expect(settingsKey({ ...defaultAnalysisSettings, log2PostSoftmax: false })).not.toBe(settingsKey(defaultAnalysisSettings));
    expect(() => validateSettings({ ...defaultAnalysisSettings, log2PostSoftmax: 'no' as unknown as boolean })).toThrow(/post-softmax log2 quantizer must be on or off/);
    // Weight rounding applies after the analysis (σ is measured with nearest rounding): same run, same probes.
    expect(settingsKey({ ...defaultAnalysisSettings, weightRounding: 'gptq' })).toBe(settingsKey({ ...defaultAnalysisSettings, weightRounding: 'nearest' }));
    expect(() => validateSettings({ ...defaultAnalysisSettings, weightRounding: 'optimal' as 'gptq' })).toThrow(/weight rounding must be "nearest" or "gptq", got "optimal"/);
    // So does bias correction.
    expect(settingsKey({ ...defaultAnalysisSettings, biasCorrection: true })).toBe(settingsKey(defaultAnalysisSettings));
    expect(() => validateSettings({ ...defaultAnalysisSettings, biasCorrection: 'yes' as unknown as boolean })).toThrow(/bias correction must be on or off/);
    // …but both change the quantized model: its key tells the models apart (absent = nearest, uncorrected).
    const key = quantizedModelKey;
    expect(key({ weightRounding: 'gptq', biasCorrection: true })).not.toBe(key({ weightRounding: 'gptq', biasCorrection: false }));
    expect(key({ weightRounding: 'gptq' })).not.toBe(key({}));
    expect(key({ weightRounding: 'nearest', biasCorrection: false })).toBe(key({}));
  });
});
