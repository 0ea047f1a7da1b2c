/**
 * What an analysis will cost before it starts: its probes (the count runAnalysis reports as its total),
 * its forwards, and a wall time from the encoder and decoder times measured with the same model and
 * backend. Pure: the caller brings the unit counts and the measured times.
 *
 * The model, per calibration image (P prompts; k = 1 + measured widths probes per unit: the zero-ablation
 * and one per width), following runAnalysis:
 *   calibration         2 forwards: encoder, then the decoder over the P prompts (ranges, then log2 τ);
 *                       every probed unit's sites are calibrated, whatever the scope
 *   FP reference        1 forward
 *   encoder-unit probe  1 forward: the encoder, then the decoder over the P prompts. A probe runs only the
 *                       segments after its unit's cut (for units spread evenly through the blocks, half the
 *                       encoder on average): counted as the whole encoder, on the long side
 *   decoder-unit probe  the decoder over the P prompts, on the stored FP embedding
 * E is one encoder forward, D one decoder run for one prompt (official exports run one prompt per run; a
 * decoder with a free prompt axis is charged as if it did too: on CPU its batch costs about as much). Every
 * forward is charged ANALYSIS_SESSION_FACTOR times the plain one. The studio passes the preview's latest
times, so right after a model loads they include the first run's warm-up (3–5× a later run in WASM).
 *
 * Checked against onnxruntime-node on 2 shared cores: the demo model (T = 1, P = 4, fast σ) ran 50–54 s,
 * this model says 40 s plus the ~10 s of graph rewriting and session compiling it leaves out; MobileSAM
 * decoder-only (same settings) ran 317 s, this model says 301 s. Probes already stored are not subtracted
 * (a resumed run measures only what is missing).
 */
import { measuredBits, probesGraph, type AnalysisSettings } from './settings';

/**
 * Analysis sessions against the plain sessions the preview times: the parametric graph gates every unit
 * with Where (both branches run), is optimized at the basic level without weight pre-packing, and the
 * calibration copies return every activation site. Measured 1.4–1.5× on MobileSAM's encoder (onnxruntime-
 * node, 2 and 5 widths), up to 2× on small graphs; not measured apart in WASM.
 */
export const ANALYSIS_SESSION_FACTOR = 1.5;

/** Forwards per image outside the probes: two calibration passes and the FP reference. */
export const CALIBRATION_FORWARDS_PER_IMAGE = 2;
export const REFERENCE_FORWARDS_PER_IMAGE = 1;

/**
 * Encoders from this size on (Meta's ViT-B: 359 MB) are analysed alone in the browser: the studio ends its
 * inference and quantization workers for the run, since each WASM heap keeps the peak of the forwards it ran
 * (GBs for such an encoder) and the tab would otherwise hold two or three of them beside the analysis' own.
 */
export const ANALYSE_ALONE_ENCODER_BYTES = 100 * 1024 * 1024;

/** Above this an estimate counts as long: the studio then offers cheaper settings. */
export const LONG_ANALYSIS_MS = 10 * 60_000;

export interface ProbedUnitCounts {
  encoderUnits: number;
  decoderUnits: number;
}

/** Units probed per graph (e.g. PreparedSam.probedUnits, excluded units already left out). */
export function countProbedUnits(units: readonly { graph: 'encoder' | 'decoder' }[]): ProbedUnitCounts {
  const encoderUnits = units.filter((unit) => unit.graph === 'encoder').length;
  return { encoderUnits, decoderUnits: units.length - encoderUnits };
}

export interface AnalysisCostInput extends ProbedUnitCounts {
  settings: AnalysisSettings;
  /** Images at hand: the analysis uses the first min(T, available). Absent: T. */
  imagesAvailable?: number;
  /** One plain encoder forward as measured with this model and backend; null while not measured. */
  encoderMs: number | null;
  /** One plain decoder run of one prompt; null while not measured. */
  decoderMsPerPrompt: number | null;
  /** Where the run happens, in words ("WASM · 2 threads"). */
  backend: string;
}

export interface AnalysisCost {
  images: number;
  /** Probes of the run: units in scope × k × images (runAnalysis's progress total). */
  probes: number;
  encoderProbes: number;
  decoderProbes: number;
  /** Encoder forwards: calibration, reference and encoder-unit probes. */
  encoderForwards: number;
  /** Decoder runs of one prompt each, over the same forwards and the decoder-unit probes. */
  decoderPromptRuns: number;
  /**
   * Estimated wall time. When a time the run needs is not measured yet, the part that is measured: a lower
   * bound (`complete` false). null when neither time is measured.
   */
  wallMs: number | null;
  complete: boolean;
  encoderMs: number | null;
  decoderMsPerPrompt: number | null;
  backend: string;
}

export function estimateAnalysisCost(input: AnalysisCostInput): AnalysisCost {
  const { settings } = input;
  const images = Math.max(0, Math.min(settings.imageCount, input.imagesAvailable ?? settings.imageCount));
  const probesPerUnit = 1 + new Set(measuredBits(settings)).size;
  const prompts = settings.promptsPerImage;
  const encoderUnits = probesGraph(settings, 'encoder') ? input.encoderUnits : 0;
  const encoderProbes = encoderUnits * probesPerUnit * images;
  const decoderProbes = input.decoderUnits * probesPerUnit * images;
  const fixedForwards = (CALIBRATION_FORWARDS_PER_IMAGE + REFERENCE_FORWARDS_PER_IMAGE) * images;
  const encoderForwards = fixedForwards + encoderProbes;
  const decoderPromptRuns = (fixedForwards + encoderProbes + decoderProbes) * prompts;
  const parts = [
    { runs: encoderForwards, ms: input.encoderMs },
    { runs: decoderPromptRuns, ms: input.decoderMsPerPrompt },
  ].filter((part) => part.runs > 0);
  const measured = parts.filter((part): part is { runs: number; ms: number } => part.ms !== null && Number.isFinite(part.ms) && part.ms >= 0);
  const wallMs = measured.length > 0 ? ANALYSIS_SESSION_FACTOR * measured.reduce((sum, part) => sum + part.runs * part.ms, 0) : null;
  return {
    images,
    probes: encoderProbes + decoderProbes,
    encoderProbes,
    decoderProbes,
    encoderForwards,
    decoderPromptRuns,
    wallMs: parts.length === 0 ? 0 : wallMs,
    complete: measured.length === parts.length,
    encoderMs: input.encoderMs,
    decoderMsPerPrompt: input.decoderMsPerPrompt,
    backend: input.backend,
  };
}

/** True when the estimate (or the lower bound it gives) is over `limitMs`. */
export function isLongAnalysis(cost: AnalysisCost, limitMs = LONG_ANALYSIS_MS): boolean {
  return cost.wallMs !== null && cost.wallMs > limitMs;
}

export type CheaperChoice = 'decoder-only' | 'fewer-images' | 'fast-sensitivity';

export interface CheaperOption {
  choice: CheaperChoice;
  patch: Partial<AnalysisSettings>;
  cost: AnalysisCost;
}

/** At most this many prompts per image in the cheaper settings (the analysis CLI's and bench's count). */
export const CHEAP_PROMPTS = 4;

/**
 * Cheaper ways to run the same analysis, each one change of the settings: probe the decoder's units only
 * (the encoder stays FP), fewer images and prompts, or fast σ. Only changes that save work are offered.
 */
export function cheaperOptions(input: AnalysisCostInput): CheaperOption[] {
  const { settings } = input;
  const current = estimateAnalysisCost(input);
  const changes: [CheaperChoice, Partial<AnalysisSettings>][] = [];
  if (probesGraph(settings, 'encoder') && input.encoderUnits > 0) changes.push(['decoder-only', { scope: 'decoder' }]);
  if (current.images > 1 || settings.promptsPerImage > CHEAP_PROMPTS) {
    changes.push(['fewer-images', { imageCount: current.images > 2 ? 2 : 1, promptsPerImage: Math.min(settings.promptsPerImage, CHEAP_PROMPTS) }]);
  }
  if (settings.sensitivityMode === 'exact') changes.push(['fast-sensitivity', { sensitivityMode: 'fast' }]);
  return changes
    .map(([choice, patch]) => ({ choice, patch, cost: estimateAnalysisCost({ ...input, settings: { ...settings, ...patch } }) }))
    .filter(({ cost }) => savesWork(cost, current));
}

function savesWork(cheaper: AnalysisCost, current: AnalysisCost): boolean {
  const noMore = cheaper.encoderForwards <= current.encoderForwards && cheaper.decoderPromptRuns <= current.decoderPromptRuns;
  return noMore && (cheaper.encoderForwards < current.encoderForwards || cheaper.decoderPromptRuns < current.decoderPromptRuns);
}

export interface ModelDefaultsInput extends Omit<AnalysisCostInput, 'encoderUnits' | 'decoderUnits'> {
  /** Probed units per graph; null while not counted. */
  units: ProbedUnitCounts | null;
}

export interface ModelDefaults {
  patch: Partial<AnalysisSettings>;
  /** The estimate of the patched settings; null without unit counts. */
  cost: AnalysisCost | null;
}

/**
 * Settings for a user's own export that finish in minutes: 2 images, CHEAP_PROMPTS prompts and fast σ;
 * then 1 image, then the decoder's units only, while the estimate (or the lower bound a missing time leaves)
 * is over `limitMs`. Without unit counts, the first step alone. Candidate widths and calibration choices
 * are kept.
 */
export function modelDefaults(input: ModelDefaultsInput, limitMs = LONG_ANALYSIS_MS): ModelDefaults {
  const first: Partial<AnalysisSettings> = { imageCount: 2, promptsPerImage: CHEAP_PROMPTS, sensitivityMode: 'fast', scope: 'all' };
  const { units } = input;
  if (!units) return { patch: first, cost: null };
  const estimate = (patch: Partial<AnalysisSettings>) => estimateAnalysisCost({ ...input, ...units, settings: { ...input.settings, ...patch } });
  let patch = first;
  let cost = estimate(patch);
  for (const step of [{ imageCount: 1 }, { scope: 'decoder' as const }]) {
    if (!isLongAnalysis(cost, limitMs)) break;
    patch = { ...patch, ...step };
    cost = estimate(patch);
  }
  return { patch, cost };
}
