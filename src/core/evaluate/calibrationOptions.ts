/**
 * The calibration an analysis asks for (per-width ranges and τ, post-softmax quantizer), for code that
 * calibrates outside the analysis engine (the quantization worker when no analysis stored its facts), and
 * a check that stored facts are what those settings calibrate.
 */
import type { CalibrationFacts, CalibrationPerWidth } from '../analysis/analysisModel';
import { perWidthCalibrationBits, usesLog2PostSoftmax, type AnalysisSettings } from '../analysis/settings';

export type CalibrationSettings = Pick<AnalysisSettings, 'candidateBits' | 'perWidthRanges' | 'perWidthLog2Tau' | 'log2PostSoftmax'>;

/** The `perWidth` and `log2PostSoftmax` arguments of analysisModel.ts calibrate, as runAnalysis passes them. */
export function calibrationOptionsOf(settings: CalibrationSettings): { perWidth: CalibrationPerWidth | undefined; log2PostSoftmax: boolean } {
  const perWidth =
    settings.perWidthRanges || settings.perWidthLog2Tau
      ? { bits: perWidthCalibrationBits(settings as AnalysisSettings), ranges: !!settings.perWidthRanges, log2Tau: !!settings.perWidthLog2Tau }
      : undefined;
  return { perWidth, log2PostSoftmax: usesLog2PostSoftmax(settings) };
}

/**
 * Whether facts were calibrated as these settings ask: the same post-softmax quantizer, and per-width
 * ranges / τ exactly when asked (τ per width only exists with the log2 quantizer).
 */
export function factsMatchSettings(facts: CalibrationFacts, settings: CalibrationSettings): boolean {
  const { perWidth, log2PostSoftmax } = calibrationOptionsOf(settings);
  if ((facts.log2PostSoftmax !== false) !== log2PostSoftmax) return false;
  const hasRanges = facts.rangesByBits !== undefined && Object.keys(facts.rangesByBits).length > 0;
  const hasTaus = facts.log2TauByBits !== undefined && Object.keys(facts.log2TauByBits).length > 0;
  return hasRanges === !!perWidth?.ranges && hasTaus === (!!perWidth?.log2Tau && log2PostSoftmax);
}
