/**
 * What one analysis run measures, fixed before anything runs: the run key its entries are stored under, the
 * units in scope and the probes of each, and the calibration every probe quantizes with. The engine
 * (analysisEngine.ts) runs a plan; a coordinator spreading the probes over several processes makes the same
 * plan to list what is missing and calibrates once for all of them, so every process stores under one key.
 */
import type { OrtModule, SessionOptions } from '../onnx/ort';
import type { QuantUnit } from '../quant/units';
import type { AnalysisImage } from './analysisEngine';
import { analysisRunKey, modelHash, probeEntryKey, promptsOfImage } from './analysisKeys';
import { calibrate, prepareSam, type CalibrationFacts, type CalibrationItem, type PreparedSam, type SamModelFiles } from './analysisModel';
import { ablationProbe, quantProbe } from './metrics';
import { measuredBits, perWidthCalibrationBits, probesGraph, usesLog2PostSoftmax, validateSettings, type AnalysisSettings } from './settings';

export interface AnalysisPlan {
  settings: AnalysisSettings;
  /** The first T images, the ones measured. */
  used: readonly AnalysisImage[];
  items: CalibrationItem[];
  sam: PreparedSam;
  modelKey: string;
  runKey: string;
  /** Every probed unit of the settings' scope, in execution order. */
  inScope: QuantUnit[];
  /** Widths measured by quantization probes. */
  widths: number[];
  /** The ablation probe, then one quantization probe per width. */
  probes: string[];
}

export async function planAnalysis(files: SamModelFiles, images: readonly AnalysisImage[], requestedSettings: AnalysisSettings): Promise<AnalysisPlan> {
  const settings = validateSettings(requestedSettings);
  if (images.length === 0) throw new Error('Add at least one image to analyse.');
  const used = images.slice(0, settings.imageCount);
  const sam = prepareSam(files);
  const items = used.map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }));
  const modelKey = await modelHash(files.encoder, files.decoder);
  const runKey = await analysisRunKey(modelKey, used, settings);
  const inScope = sam.probedUnits.filter((unit) => probesGraph(settings, unit.graph));
  const widths = measuredBits(settings);
  return { settings, used, items, sam, modelKey, runKey, inScope, widths, probes: [ablationProbe, ...widths.map(quantProbe)] };
}

/** The store keys of every probe of these units (all images, all probes). */
export function probeEntryKeysOf(plan: AnalysisPlan, unitIds: readonly string[]): string[] {
  return unitIds.flatMap((unitId) => plan.probes.flatMap((probe) => plan.used.map((_, t) => probeEntryKey(t, unitId, probe))));
}

/** The run's calibration (ranges, log2 τ, MACs) under the plan's settings. */
export function calibratePlan(
  plan: AnalysisPlan,
  options: {
    ort: OrtModule;
    sessionOptions?: SessionOptions;
    beforeImage?: (index: number) => Promise<void> | void;
    beforeStep?: (label: string) => Promise<void> | void;
  },
): Promise<CalibrationFacts> {
  const { settings } = plan;
  return calibrate({
    ort: options.ort,
    sam: plan.sam,
    items: plan.items,
    sessionOptions: options.sessionOptions,
    perWidth:
      settings.perWidthRanges || settings.perWidthLog2Tau
        ? { bits: perWidthCalibrationBits(settings), ranges: !!settings.perWidthRanges, log2Tau: !!settings.perWidthLog2Tau }
        : undefined,
    log2PostSoftmax: usesLog2PostSoftmax(settings),
    beforeImage: options.beforeImage,
    beforeStep: options.beforeStep,
  });
}
