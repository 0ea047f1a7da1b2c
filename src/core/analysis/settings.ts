/** What an analysis measures, and how. Defaults marked (repro) come from METHOD.md. */

/** exact: σ measured at every candidate width; fast: measured at `fastProbeBits`, the rest from σ(b) ∝ 4^(−b). */
export type SensitivityMode = 'exact' | 'fast';

export interface AnalysisSettings {
  /** T: how many calibration images (METHOD.md "Layer importance Ω"; (repro) 64, a few suffice for small models). */
  imageCount: number;
  /** Prompts decoded per image, at most 16 ((repro) ≤ 16 box prompts). */
  promptsPerImage: number;
  /** k of the k×k point grid used for images without ground-truth boxes or clicks. */
  gridSize: number;
  sensitivityMode: SensitivityMode;
  /** Candidate bit-widths b of σ_i(b) (weights and input activations share b, METHOD.md (repro)). */
  candidateBits: number[];
  /** Widths measured in fast mode (one or two of the candidates). */
  fastProbeBits: number[];
  /** ε of the output distribution's clamp ((repro) 1e-6). */
  distributionEpsilon: number;
  /** ε of the synergy denominator max(|s_t(i) − s_t(i+1)|, ε). */
  synergyEpsilon: number;
  /**
   * At most this many cuts split the encoder into a chain of segment sessions, so that a probe skips the
   * blocks its unit cannot affect (0: every encoder probe runs the whole encoder). Each segment holds only
   * its own weights, so the count costs compile time, not memory.
   */
  maxEncoderSegments: number;
  /**
   * Calibrate per width (analysisModel.ts CalibrationPerWidth), options beside METHOD.md's single range
   * and τ: activation ranges of least squared error at each width, and/or log2 τ chosen at each width.
   * Off (absent or false) by default.
   */
  perWidthRanges?: boolean;
  perWidthLog2Tau?: boolean;
  /**
   * Whether softmax·v inputs use the log2 quantizer (PTQ4SAM's post-softmax quantizer) in every probe and
   * in the calibration; false measures σ under the uniform quantizer there. On when absent.
   */
  log2PostSoftmax?: boolean;
  /**
   * Which units are probed: 'all' (default) or 'decoder' only, the encoder kept at full precision — the
   * cheap analysis for large encoders (no encoder probe, one encoder forward per image). Probes are stored
   * per unit, so a later full analysis reuses the decoder's.
   */
  scope?: AnalysisScope;
  /**
   * How weights are rounded onto their grids in the quantized model (preview, Evaluate, Export): to
   * nearest, or by GPTQ (error-compensated, with Hessians from the calibration images). σ is measured
   * with nearest rounding either way, so this is not part of the run key. Nearest when absent.
   */
  weightRounding?: WeightRounding;
  /**
   * Whether each quantized weight unit's bias is corrected for the mean shift quantization puts on its output
   * (quant/bias-correction.ts; input means over the calibration images), in the preview, Evaluate and Export.
   * Like the weight rounding, σ is measured without it, so it is not part of the run key. On in the studio's
   * defaults (quality study, 1008 held-out prompts: mixed σ W3A3 66.1 → 82.9 % of FP, uniform W4A4 87.8 → 91.0 %,
   * W6A6 and mixed σ W4A4 within ±0.1); off when absent (runs and reports from before the setting).
   */
  biasCorrection?: boolean;
}

export type AnalysisScope = 'all' | 'decoder';

/** Round-to-nearest, or GPTQ's error-compensated rounding (quant/gptq.ts). */
export type WeightRounding = 'nearest' | 'gptq';

/** The weight rounding of these settings (nearest unless GPTQ is chosen). */
export function weightRoundingOf(settings: Pick<AnalysisSettings, 'weightRounding'>): WeightRounding {
  return settings.weightRounding === 'gptq' ? 'gptq' : 'nearest';
}

/** Whether the quantized model of these settings has its biases corrected (off unless chosen). */
export function biasCorrectionOf(settings: Pick<AnalysisSettings, 'biasCorrection'>): boolean {
  return settings.biasCorrection === true;
}

/**
 * What the quantized model takes from these settings beyond the run key (which holds what σ depends on): the
 * weight rounding and the bias correction. Preview, evaluation and export of one key are not those of another.
 */
export function quantizedModelKey(settings: Pick<AnalysisSettings, 'weightRounding' | 'biasCorrection'>): string {
  return JSON.stringify([weightRoundingOf(settings), biasCorrectionOf(settings)]);
}

/** Whether these settings probe the units of this graph. */
export function probesGraph(settings: Pick<AnalysisSettings, 'scope'>, graph: 'encoder' | 'decoder'): boolean {
  return graph === 'decoder' || (settings.scope ?? 'all') === 'all';
}

/** The post-softmax log2 quantizer setting of an analysis (on unless switched off). */
export function usesLog2PostSoftmax(settings: Pick<AnalysisSettings, 'log2PostSoftmax'>): boolean {
  return settings.log2PostSoftmax !== false;
}

/** Widths calibrated per width: 2 bits up to two above the widest candidate (mixed allocations reach past b̄). */
export function perWidthCalibrationBits(settings: AnalysisSettings): number[] {
  const widest = Math.min(16, Math.max(...settings.candidateBits) + 2);
  return Array.from({ length: widest - 1 }, (_, i) => i + 2);
}

/**
 * The widths fast mode measures for a set of candidates: the second lowest and second highest when
 * there are four or more (σ at the ends is then extrapolated one step, the middle interpolated), else
 * the lowest and highest. On the trained demo model (4 images × 4 prompts, candidates 2–6) measuring
 * 3 & 5 put σ at the other widths off by a median 49% (rank correlation 0.93) against 99% (0.92) for
 * 2 & 6: the 4^(−b) law is rough at 2 bits, so σ is only good for ranking in fast mode
 * (bench/analysis.ts prints these figures).
 */
export function defaultFastBits(candidateBits: readonly number[]): number[] {
  const sorted = [...new Set(candidateBits)].sort((a, b) => a - b);
  if (sorted.length <= 2) return sorted;
  return sorted.length >= 4 ? [sorted[1], sorted[sorted.length - 2]] : [sorted[0], sorted[sorted.length - 1]];
}

export const defaultAnalysisSettings: AnalysisSettings = {
  imageCount: 8,
  promptsPerImage: 16,
  gridSize: 4,
  sensitivityMode: 'exact',
  candidateBits: [2, 3, 4, 5, 6],
  fastProbeBits: [3, 5],
  distributionEpsilon: 1e-6,
  synergyEpsilon: 1e-6,
  maxEncoderSegments: 16,
  biasCorrection: true,
};

/** Checks settings and says in words what is wrong; returns a normalized copy (widths sorted, unique). */
export function validateSettings(settings: AnalysisSettings): AnalysisSettings {
  const problems: string[] = [];
  const positiveInteger = (value: number, name: string, max = Infinity) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      problems.push(`${name} must be a whole number from 1 to ${max}, got ${value}`);
    }
  };
  positiveInteger(settings.imageCount, 'number of images');
  positiveInteger(settings.promptsPerImage, 'prompts per image', 16);
  positiveInteger(settings.gridSize, 'point grid size', 16);
  if (!Number.isInteger(settings.maxEncoderSegments) || settings.maxEncoderSegments < 0 || settings.maxEncoderSegments > 256) {
    problems.push(`encoder segments must be a whole number from 0 (never split) to 256, got ${settings.maxEncoderSegments}`);
  }
  const widths = (list: number[], name: string) => {
    if (list.length === 0) problems.push(`${name} must not be empty`);
    for (const b of list) {
      if (!Number.isInteger(b) || b < 2 || b > 16) problems.push(`${name} must be whole bit-widths from 2 to 16, got ${b}`);
    }
    return [...new Set(list)].sort((a, b) => a - b);
  };
  const candidateBits = widths(settings.candidateBits, 'candidate widths');
  const fastProbeBits = widths(settings.fastProbeBits, 'fast-mode probe widths');
  if (settings.sensitivityMode !== 'exact' && settings.sensitivityMode !== 'fast') {
    problems.push(`sensitivity mode must be "exact" or "fast", got "${String(settings.sensitivityMode)}"`);
  }
  if (settings.sensitivityMode === 'fast' && (fastProbeBits.length < 1 || fastProbeBits.length > 2)) {
    problems.push('fast mode measures one or two widths');
  }
  for (const [value, name] of [
    [settings.distributionEpsilon, 'distribution ε'],
    [settings.synergyEpsilon, 'synergy ε'],
  ] as const) {
    if (!(value > 0 && value < 1)) problems.push(`${name} must be between 0 and 1, got ${value}`);
  }
  for (const [value, name] of [
    [settings.perWidthRanges, 'per-width ranges'],
    [settings.perWidthLog2Tau, 'per-width log2 τ'],
    [settings.log2PostSoftmax, 'the post-softmax log2 quantizer'],
    [settings.biasCorrection, 'bias correction'],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') problems.push(`${name} must be on or off (true or false), got ${String(value)}`);
  }
  if (settings.weightRounding !== undefined && settings.weightRounding !== 'nearest' && settings.weightRounding !== 'gptq') {
    problems.push(`weight rounding must be "nearest" or "gptq", got "${String(settings.weightRounding)}"`);
  }
  if (settings.scope !== undefined && settings.scope !== 'all' && settings.scope !== 'decoder') {
    problems.push(`scope must be "all" or "decoder", got "${String(settings.scope)}"`);
  }
  if (problems.length > 0) throw new Error(`Invalid analysis settings: ${problems.join('; ')}`);
  return { ...settings, candidateBits, fastProbeBits };
}

/** The widths actually measured by probes under these settings. */
export function measuredBits(settings: AnalysisSettings): number[] {
  return settings.sensitivityMode === 'exact' ? settings.candidateBits : settings.fastProbeBits;
}

/**
 * The settings that change measured numbers, as a stable string: part of the persistence key.
 * Mode and candidate widths are left out on purpose: each probe is stored under its own width,
 * so switching fast→exact reuses every width already measured.
 */
export function settingsKey(settings: AnalysisSettings): string {
  return JSON.stringify({
    // Bumped whenever the measured quantity changes (2: clamped distributions renormalized).
    method: 2,
    promptsPerImage: settings.promptsPerImage,
    gridSize: settings.gridSize,
    distributionEpsilon: settings.distributionEpsilon,
    // Only when on, so runs without them keep their stored keys. Per-width ranges depend on the widths.
    ...(settings.perWidthRanges ? { perWidthRanges: perWidthCalibrationBits(settings) } : {}),
    ...(settings.perWidthLog2Tau ? { perWidthLog2Tau: perWidthCalibrationBits(settings) } : {}),
    ...(usesLog2PostSoftmax(settings) ? {} : { log2PostSoftmax: false }),
  });
}
