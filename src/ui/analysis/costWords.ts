/** An analysis' estimated cost (core/analysis/analysisCost.ts) in words a person reads. */
import { isLongAnalysis, type AnalysisCost, type CheaperOption, type ModelDefaults } from '../../core/analysis/analysisCost';
import type { AnalysisSettings } from '../../core/analysis/settings';
import type { LoadedModel } from './loadedModel';
import { countOf, formatMs } from '../format';

/** "40 s", "58 min", "2.9 h", "4.2 days": rounded as an estimate deserves. */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = seconds / 60;
  if (minutes < 90) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `${hours < 10 ? hours.toFixed(1) : Math.round(hours)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}

/**
 * "≈ 58 min"; while a time the run needs is not measured, "at least 52 min" when the part that is measured
 * is long already, else null (a small lower bound would read as the estimate).
 */
export function durationWords(cost: AnalysisCost): string | null {
  if (cost.wallMs === null) return null;
  if (cost.complete) return `≈ ${formatDuration(cost.wallMs)}`;
  return isLongAnalysis(cost) ? `at least ${formatDuration(cost.wallMs)}` : null;
}

/** "3,024 probes on 6 images". */
export function probesWords(cost: AnalysisCost): string {
  return `${cost.probes.toLocaleString('en')} probes on ${imagesWords(cost.images)}`;
}

/**
 * The times behind the estimate and what is still to be timed: "4.1 s per encoder forward and 35 ms per
 * decoder prompt, measured here".
 */
export function costBasis(cost: AnalysisCost, encoding: boolean): string {
  const measured = [
    cost.encoderMs !== null && `${formatMs(cost.encoderMs)} per encoder forward`,
    cost.decoderMsPerPrompt !== null && `${formatMs(cost.decoderMsPerPrompt)} per decoder prompt`,
  ].filter((part): part is string => typeof part === 'string');
  const missing = [
    cost.encoderMs === null && (encoding ? 'the encoder is being timed on the selected image' : 'the encoder is timed when an image is encoded'),
    cost.decoderMsPerPrompt === null && 'click the image once to time the decoder',
  ].filter((part): part is string => typeof part === 'string');
  return [measured.length > 0 ? `${measured.join(' and ')}, measured here` : '', ...missing].filter(Boolean).join('; ');
}

const optionNames = {
  'decoder-only': () => 'Decoder only',
  'fewer-images': (patch: Partial<AnalysisSettings>) => `${imagesWords(patch.imageCount ?? 1)}, ${countOf(patch.promptsPerImage ?? 1, 'prompt')}`,
  'fast-sensitivity': () => 'Fast σ',
} as const;

function imagesWords(count: number): string {
  return countOf(count, 'image');
}

/** A cheaper option's button text: "Decoder only · ≈ 6 min" (its probes while its time is unknown). */
export function optionLabel(option: CheaperOption): string {
  const name = optionNames[option.choice](option.patch);
  return `${name} · ${durationWords(option.cost) ?? `${option.cost.probes.toLocaleString('en')} probes`}`;
}

/** What each option changes, for its tooltip. */
export const optionTitles: Record<CheaperOption['choice'], string> = {
  'decoder-only': 'Probe only the decoder’s units: the encoder stays at full precision and is never probed',
  'fewer-images': 'Fewer calibration images and prompts per image: every probe gets cheaper, the measurements noisier',
  'fast-sensitivity': 'Measure σ at two widths and estimate the others with σ ∝ 4^−b',
};

/**
 * Why the settings are what they are for a user's model: "Chosen for this model's size (87 encoder + 46
 * decoder units, 3.9 s per encoder forward): 1 image, 4 prompts, fast σ, decoder units only."
 */
export function defaultsReason(chosen: ModelDefaults, model: LoadedModel): string {
  const { patch } = chosen;
  const facts = [
    model.units && `${model.units.encoderUnits} encoder + ${model.units.decoderUnits} decoder units`,
    model.encoderMs !== null && `${formatMs(model.encoderMs)} per encoder forward`,
  ].filter((part): part is string => typeof part === 'string');
  const choices = [
    imagesWords(patch.imageCount ?? 1),
    countOf(patch.promptsPerImage ?? 1, 'prompt'),
    patch.sensitivityMode === 'fast' ? 'fast σ' : 'exact σ',
    patch.scope === 'decoder' ? 'decoder units only' : 'all units',
  ];
  const basis = facts.length > 0 ? ` (${facts.join(', ')})` : '';
  return `Chosen for this model’s size${basis}: ${choices.join(', ')}. The studio’s defaults are sized for its small demo model.`;
}
