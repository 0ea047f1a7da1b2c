/**
 * Deployable files of a SAM for a per-unit width setting, from the model files alone: calibration on
 * the given images (as an analysis would), then the export pass of each graph in the chosen profile.
 * The Node export command (tools/export.ts) and the export benchmark (bench/export.ts) run it; the
 * studio exports from its own simulation (samExport.ts).
 */
import { calibrate, prepareSam, type CalibrationFacts, type CalibrationItem, type CalibrationPerWidth, type PreparedSam, type SamModelFiles } from '../analysis/analysisModel';
import type { OrtModule, SessionOptions } from '../onnx/ort';
import { resolveWidthCalibration, type QuantConfig, type UnitConfig } from '../quant/config';
import { exportQuantizedModel, type ExportProfile, type ExportResult, type LowBitWeights } from '../quant/export';
import type { GraphKind } from '../quant/units';
import type { RoundedWeights } from '../quant/rounded-weights';
import type { WeightRounding } from '../analysis/settings';
import { samGptq } from '../analysis/samGptq';
import { samBiasStats } from '../analysis/samBiasCorrection';
import type { BiasCorrectionOptions } from '../quant/bias-correction';
import type { Allocation } from '../quant/config';
import { allocationWidths, buildSamParametric, type SamParametric } from './quantizedSam';

/** Weight and activation width per unit id (null: full precision); units not listed stay full precision. */
export type UnitSettings = Readonly<Record<string, UnitConfig>>;

export interface ExportAllocationOptions {
  profile: ExportProfile;
  lowBitWeights?: LowBitWeights;
  /** Calibrate ranges (and log2 τ) per width, as an analysis with those settings does. */
  perWidth?: CalibrationPerWidth;
  log2PostSoftmax?: boolean;
  /** GPTQ rounds each quantized weight at its width with Hessians from the calibration images (default nearest). */
  weightRounding?: WeightRounding;
  /** Correct each quantized weight unit's bias for its widths' mean output shift (input means from the calibration images). */
  biasCorrection?: boolean;
  sessionOptions?: SessionOptions;
  onStep?: (label: string) => void;
}

export interface ExportedGraph extends ExportResult {
  graph: GraphKind;
  fpFileBytes: number;
}

/**
 * Checks the settings against the model's probed units: unknown ids are refused; a unit without weight
 * given one width for both (`bits`) keeps it for its activations, a distinct weight width is refused.
 */
export function checkUnitSettings(sam: PreparedSam, settings: UnitSettings): UnitSettings {
  const checked: Record<string, UnitConfig> = {};
  const byId = new Map(sam.probedUnits.map((unit) => [unit.id, unit]));
  const excluded = new Set(sam.excludedUnits.map((unit) => unit.id));
  for (const [id, setting] of Object.entries(settings)) {
    const unit = byId.get(id);
    if (!unit) {
      const why = excluded.has(id) ? 'it is kept at full precision by default and was never analysed' : 'this model has no such unit';
      throw new Error(`Unit "${id}" cannot be set: ${why}. Units look like "${sam.probedUnits[0]?.id ?? 'encoder:/node'}".`);
    }
    if (unit.kind === 'activation' && setting.wBits !== null) {
      if (setting.wBits !== setting.aBits) throw new Error(`Unit "${id}" multiplies two activations and has no weight: give it aBits only (wBits null).`);
      checked[id] = { wBits: null, aBits: setting.aBits };
    } else checked[id] = setting;
  }
  return checked;
}

/** A model read and calibrated once; any number of exports (profiles, allocations) can then be written from it. */
export interface CalibratedSam {
  sam: PreparedSam;
  facts: CalibrationFacts;
  fpFileBytes: Record<GraphKind, number>;
  log2PostSoftmax: boolean;
  /** GPTQ's codes of the weights the settings quantize, at their widths (absent: rounded to nearest). */
  roundedWeights?: RoundedWeights;
  /** Input means of the weight units the settings quantize, at their activation widths (absent: biases as they are). */
  biasCorrection?: BiasCorrectionOptions;
}

export async function calibrateForExport(
  ort: OrtModule,
  files: SamModelFiles,
  calibration: readonly CalibrationItem[],
  options: Pick<ExportAllocationOptions, 'perWidth' | 'log2PostSoftmax' | 'weightRounding' | 'biasCorrection' | 'sessionOptions' | 'onStep'> & { check?: UnitSettings } = {},
): Promise<CalibratedSam> {
  const sam = prepareSam(files);
  // Bad settings are refused before the (long) calibration.
  if (options.check) checkUnitSettings(sam, options.check);
  if (calibration.length === 0) throw new Error('Calibration needs at least one image.');
  options.onStep?.(`Calibrating on ${calibration.length} image${calibration.length === 1 ? '' : 's'}`);
  const facts = await calibrate({ ort, sam, items: calibration, sessionOptions: options.sessionOptions, perWidth: options.perWidth, log2PostSoftmax: options.log2PostSoftmax, beforeStep: options.onStep });
  // Only the widths the settings give weights (and their inputs); the export reads each unit's own.
  const settings = options.check ? checkUnitSettings(sam, options.check) : {};
  const weighted = sam.probedUnits.filter((unit) => settings[unit.id]?.wBits != null);
  const widths = (pick: (setting: UnitConfig) => number | null) => [...new Set(weighted.flatMap((unit) => pick(settings[unit.id]) ?? []))].sort((a, b) => a - b);
  const shared = { ort, sam, items: calibration, units: weighted, sessionOptions: options.sessionOptions, beforeStep: options.onStep };
  let roundedWeights: RoundedWeights | undefined;
  if (options.weightRounding === 'gptq' && weighted.length > 0) roundedWeights = (await samGptq({ ...shared, widths: widths((s) => s.wBits) })).weights;
  let biasCorrection: BiasCorrectionOptions | undefined;
  if (options.biasCorrection && weighted.length > 0) {
    const stats = await samBiasStats({ ...shared, activationBits: widths((s) => s.aBits), facts });
    biasCorrection = { stats: stats.stats, activationBits: stats.activationBits };
  }
  return { sam, facts, fpFileBytes: { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength }, log2PostSoftmax: options.log2PostSoftmax !== false, roundedWeights, biasCorrection };
}

export function writeExport(
  calibrated: CalibratedSam,
  settings: UnitSettings,
  options: Pick<ExportAllocationOptions, 'profile' | 'lowBitWeights' | 'onStep'>,
): { encoder: ExportedGraph; decoder: ExportedGraph } {
  const { sam, facts } = calibrated;
  const checked = checkUnitSettings(sam, settings);
  const part = (graph: GraphKind): ExportedGraph => {
    options.onStep?.(`Writing the ${graph} (${options.profile})`);
    const units = sam.probedUnits.filter((unit) => unit.graph === graph);
    const config: QuantConfig = Object.fromEntries(units.filter((unit) => checked[unit.id]).map((unit) => [unit.id, checked[unit.id]]));
    const { ranges, log2Tau } = resolveWidthCalibration(config, units, facts, facts);
    const model = graph === 'encoder' ? sam.encoder : sam.decoder;
    const result = exportQuantizedModel(model, units, config, {
      ranges,
      log2Tau,
      profile: options.profile,
      lowBitWeights: options.lowBitWeights,
      quantizer: { log2PostSoftmax: calibrated.log2PostSoftmax },
      roundedWeights: calibrated.roundedWeights,
      biasCorrection: calibrated.biasCorrection,
    });
    return { graph, ...result, fpFileBytes: calibrated.fpFileBytes[graph] };
  };
  return { encoder: part('encoder'), decoder: part('decoder') };
}

/** Calibration, then one export. */
export async function exportAllocation(
  ort: OrtModule,
  files: SamModelFiles,
  settings: UnitSettings,
  calibration: readonly CalibrationItem[],
  options: ExportAllocationOptions,
): Promise<{ encoder: ExportedGraph; decoder: ExportedGraph }> {
  return writeExport(await calibrateForExport(ort, files, calibration, { ...options, check: settings }), settings, options);
}

/**
 * The simulation an export can be checked against: the settings as one width per unit (weights and
 * activations alike, as the studio's allocations are), and parametric graphs for those widths with the
 * calibration's ranges and rounded weights. Null, with the reason, when a unit's two widths differ.
 */
export function simulationOfSettings(calibrated: CalibratedSam, settings: UnitSettings): { parametric: SamParametric; allocation: Allocation } | { reason: string } {
  const checked = checkUnitSettings(calibrated.sam, settings);
  const allocation: Record<string, number | null> = {};
  const kinds = new Map(calibrated.sam.probedUnits.map((unit) => [unit.id, unit.kind]));
  for (const [id, setting] of Object.entries(checked)) {
    if (kinds.get(id) === 'weight' && setting.wBits !== setting.aBits) {
      const widths = (bits: number | null) => (bits === null ? 'full precision' : `${bits} bits`);
      return { reason: `unit "${id}" has weights at ${widths(setting.wBits)} and activations at ${widths(setting.aBits)}; the simulation gives a unit one width` };
    }
    allocation[id] = kinds.get(id) === 'weight' ? setting.wBits : setting.aBits;
  }
  const widths = allocationWidths(allocation);
  if (widths.length === 0) return { reason: 'every unit is at full precision' };
  // A graph none of whose units is quantized ships, and is checked, as the original model.
  const units = new Map(calibrated.sam.probedUnits.map((unit) => [unit.id, unit.graph]));
  const graphs = [...new Set(Object.entries(allocation).flatMap(([id, bits]) => (bits === null ? [] : [units.get(id)!])))];
  return { parametric: buildSamParametric(calibrated.sam, calibrated.facts, widths, { roundedWeights: calibrated.roundedWeights, biasCorrection: calibrated.biasCorrection, graphs }), allocation };
}
