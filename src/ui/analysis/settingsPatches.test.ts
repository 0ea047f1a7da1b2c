import { describe, expect, it } from 'vitest';
import { defaultAnalysisSettings, settingsKey, usesLog2PostSoftmax, validateSettings } from '../../core/analysis/settings';
import { perWidthPatch, softmaxQuantizerPatch } from './settingsPatches';

describe('analysis form calibration choices', () => {
  it('change the settings key, and switching back restores it (a stored run is resumed)', () => {
    const base = settingsKey(defaultAnalysisSettings);
    const uniform = validateSettings({ ...defaultAnalysisSettings, ...softmaxQuantizerPatch('uniform') });
    const perWidth = validateSettings({ ...defaultAnalysisSettings, ...perWidthPatch(true) });
    expect(usesLog2PostSoftmax(uniform)).toBe(false);
    expect([perWidth.perWidthRanges, perWidth.perWidthLog2Tau]).toEqual([true, true]);
    const keys = new Set([base, settingsKey(uniform), settingsKey(perWidth), settingsKey({ ...perWidth, ...softmaxQuantizerPatch('uniform') })]);
    expect(keys.size).toBe(4);
    expect(settingsKey({ ...uniform, ...softmaxQuantizerPatch('log2') })).toBe(base);
    expect(settingsKey({ ...perWidth, ...perWidthPatch(false) })).toBe(base);
  });
});
