/**
 * The analysis results file `npm run analyze` writes and the studio imports: the results, the calibration
 * facts the analysis quantized with (so preview, evaluation and export quantize the same way) and the model
 * config it read the model with. Reading checks the shape and says in words what is wrong; matching against a
 * loaded model lists every difference, so a refused file says why.
 */
import { samNormalization } from '../sam/preprocess';
import type { SamModelConfig } from '../sam/samAdapter';
import type { AnalysisRunStats } from './analysisEngine';
import type { CalibrationFacts } from './analysisModel';
import type { AnalysisResults } from './analysisResults';
import { validateSettings } from './settings';

export const RESULTS_FILE_FORMAT = 'mix-qsam-analysis-results';
export const RESULTS_FILE_VERSION = 1;

export interface AnalysisResultsFile {
  format: typeof RESULTS_FILE_FORMAT;
  version: number;
  results: AnalysisResults;
  stats: AnalysisRunStats | null;
  /** Ranges, log2 τ and MACs of the analysis' calibration; null in files written before they were kept. */
  calibration: CalibrationFacts | null;
  /** The model config the analysis read the model with (model.json; {} for SAM's standard sizes). */
  modelConfig: SamModelConfig;
}

export function resultsFileOf(results: AnalysisResults, stats: AnalysisRunStats | null, calibration: CalibrationFacts | null, modelConfig: SamModelConfig | undefined): AnalysisResultsFile {
  return { format: RESULTS_FILE_FORMAT, version: RESULTS_FILE_VERSION, results, stats, calibration, modelConfig: modelConfig ?? {} };
}

/** JSON text of the file. NaN (not measured) has no JSON form: it is written as null and read back as NaN. */
export function resultsFileText(file: AnalysisResultsFile): string {
  return `${JSON.stringify(file, null, 1)}\n`;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const number = (value: unknown): number => (typeof value === 'number' ? value : NaN);

/** True when this JSON is an analysis results file (of any version), not a model.json or something else. */
export function looksLikeResultsFile(json: unknown): boolean {
  return isObject(json) && (json.format === RESULTS_FILE_FORMAT || (isObject(json.results) && typeof json.results.runKey === 'string'));
}

/**
 * Reads a parsed results file; throws an Error whose message says what is wrong. Files written by `npm run
 * analyze` before the format was named ({ results, stats }) are read too.
 */
export function parseResultsFile(json: unknown): AnalysisResultsFile {
  const wrong = (what: string) => new Error(`This is not an analysis results file of npm run analyze: ${what}.`);
  if (!isObject(json)) throw wrong('it holds no JSON object');
  // Another of the project's files (an allocation, an evaluation); a model.json has a "format" of its own.
  if (typeof json.format === 'string' && json.format.startsWith('mix-qsam-') && json.format !== RESULTS_FILE_FORMAT) throw wrong(`it is a ${json.format} file`);
  if (typeof json.version === 'number' && json.version > RESULTS_FILE_VERSION) {
    throw new Error(`The results file is of version ${json.version}; this studio reads version ${RESULTS_FILE_VERSION}. Update the studio, or analyse again with this version.`);
  }
  const results = json.results;
  if (!isObject(results)) throw wrong('it has no "results"');
  if (typeof results.runKey !== 'string' || typeof results.modelHash !== 'string') throw wrong('its results name no run or model');
  if (!Array.isArray(results.units) || !Array.isArray(results.candidateBits) || !Array.isArray(results.synergy)) throw wrong('its results have no units, widths or synergy');
  let settings;
  try {
    settings = validateSettings(results.settings as AnalysisResults['settings']);
  } catch (error) {
    throw wrong((error as Error).message);
  }
  const candidateBits = results.candidateBits.map(number);
  const units = results.units.map((unit: unknown, i: number) => {
    if (!isObject(unit) || typeof unit.id !== 'string' || typeof unit.params !== 'number') throw wrong(`unit ${i + 1} has no id or parameter count`);
    if (!Array.isArray(unit.sensitivity) || unit.sensitivity.length !== candidateBits.length) throw wrong(`unit "${unit.id}" has ${String((unit.sensitivity as unknown[] | undefined)?.length ?? 0)} σ values for ${candidateBits.length} widths`);
    return { ...unit, importance: number(unit.importance), sensitivity: unit.sensitivity.map(number), macs: typeof unit.macs === 'number' ? unit.macs : null };
  }) as AnalysisResults['units'];
  const parsed: AnalysisResults = {
    ...(results as unknown as AnalysisResults),
    settings,
    candidateBits,
    measuredBits: Array.isArray(results.measuredBits) ? results.measuredBits.map(number) : candidateBits,
    units,
    synergy: results.synergy.map(number),
    importanceByImage: Array.isArray(results.importanceByImage) ? results.importanceByImage.map((row) => (Array.isArray(row) ? row.map(number) : null)) : [],
    imageNames: Array.isArray(results.imageNames) ? results.imageNames.map(String) : [],
    excludedUnits: Array.isArray(results.excludedUnits) ? (results.excludedUnits as AnalysisResults['excludedUnits']) : [],
    probesDone: number(results.probesDone),
    probesTotal: number(results.probesTotal),
    complete: results.complete === true,
  };
  const calibration = isObject(json.calibration) && isObject(json.calibration.ranges) ? (json.calibration as unknown as CalibrationFacts) : null;
  return {
    format: RESULTS_FILE_FORMAT,
    version: typeof json.version === 'number' ? json.version : 0,
    results: parsed,
    stats: isObject(json.stats) ? (json.stats as unknown as AnalysisRunStats) : null,
    calibration,
    modelConfig: isObject(json.modelConfig) ? (json.modelConfig as SamModelConfig) : {},
  };
}

const shortHash = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * The config entries that change what the model computes, in words. Sizes count only where both sides give one:
 * an encoder or decoder with fixed shapes takes its sizes from its own graph (samAdapter.ts), so leaving them
 * out of a model.json changes nothing there; normalization and mask threshold always come from the config.
 */
function configDifferences(file: SamModelConfig, loaded: SamModelConfig): string[] {
  const differences: string[] = [];
  const compare = (name: string, a: string, b: string) => a !== b && differences.push(`Its ${name} is ${a}; the loaded model's is ${b}.`);
  const size = (name: string, a: number | undefined, b: number | undefined) => a !== undefined && b !== undefined && compare(name, String(a), String(b));
  size('input size', file.inputSize, loaded.inputSize);
  size('low-res mask size', file.lowResSize, loaded.lowResSize);
  const normalization = (config: SamModelConfig) => {
    const { mean, std } = config.normalization ?? samNormalization;
    return `mean ${mean.join(', ')}, std ${std.join(', ')}`;
  };
  compare('pixel normalization', normalization(file), normalization(loaded));
  compare('mask threshold', String(file.maskThreshold ?? 0), String(loaded.maskThreshold ?? 0));
  return differences;
}

/**
 * Why these results cannot be used with the loaded model, one sentence each; empty when they can. The model
 * must be the same bytes (content hash), read with the same config (configDifferences), and the analysis finished.
 */
export function resultsFileMismatches(file: AnalysisResultsFile, loaded: { modelHash: string | null; modelConfig: SamModelConfig }): string[] {
  const problems: string[] = [];
  const { results } = file;
  if (loaded.modelHash === null) problems.push('No complete model is loaded: load the SAM encoder and decoder the analysis measured first.');
  else if (results.modelHash !== loaded.modelHash) {
    problems.push(`It was measured on another model (content hash ${shortHash(results.modelHash)}; the loaded model is ${shortHash(loaded.modelHash)}).`);
  }
  problems.push(...configDifferences(file.modelConfig, loaded.modelConfig));
  if (!results.complete) {
    problems.push(`The analysis in it is not finished (${results.probesDone}/${results.probesTotal} probes): run npm run analyze again with the same --cache to finish it.`);
  }
  return problems;
}
