/**
 * The shape in which analysis results leave core: one row per probed unit in execution order, plus the
 * synergy chain between neighbours. Plain numbers and arrays (no typed arrays) so the results cross a
 * worker boundary, sit in the store and serialize to JSON unchanged. NaN means "not measured yet".
 */
import type { QuantUnit } from '../quant/units';
import { importance, normalizedImportancePerImage, sensitivityTable, synergy, type ProbeTable } from './metrics';
import { measuredBits, type AnalysisSettings } from './settings';

export interface UnitAnalysis {
  id: string;
  graph: QuantUnit['graph'];
  nodeName: string;
  op: QuantUnit['op'];
  kind: QuantUnit['kind'];
  role: string;
  part: string;
  params: number;
  macs: number | null;
  /** Ω_i: mean normalized KL under zero-ablation (sums to 1 over units). */
  importance: number;
  /** σ_i(b) for each of `AnalysisResults.candidateBits`. */
  sensitivity: number[];
}

export interface AnalysisResults {
  runKey: string;
  modelHash: string;
  settings: AnalysisSettings;
  candidateBits: number[];
  /** Widths σ was measured at; the others are extrapolated (fast mode). */
  measuredBits: number[];
  units: UnitAnalysis[];
  /** Ŝ between units[i] and units[i+1]. */
  synergy: number[];
  /** s_t(i) per image (null until that image's ablations are all measured). */
  importanceByImage: (number[] | null)[];
  /** Names of the calibration images, in order. */
  imageNames: string[];
  /** Units kept at full precision and never probed, with the reason. */
  excludedUnits: { id: string; reason: string }[];
  probesDone: number;
  probesTotal: number;
  complete: boolean;
}

export function buildResults(args: {
  runKey: string;
  modelHash: string;
  settings: AnalysisSettings;
  units: readonly QuantUnit[];
  excluded: readonly QuantUnit[];
  imageNames: string[];
  table: ProbeTable;
}): AnalysisResults {
  const { settings, units, table } = args;
  const perImage = normalizedImportancePerImage(table);
  const omega = importance(perImage, units.length);
  const measured = measuredBits(settings);
  const sigma = sensitivityTable(table, settings.candidateBits, measured);
  let probesDone = 0;
  let probesTotal = 0;
  for (const values of table.klByProbe.values()) {
    probesTotal += values.length;
    for (const kl of values) if (!Number.isNaN(kl)) probesDone++;
  }
  return {
    runKey: args.runKey,
    modelHash: args.modelHash,
    settings,
    candidateBits: [...settings.candidateBits],
    measuredBits: [...measured],
    units: units.map((unit, i) => ({
      id: unit.id,
      graph: unit.graph,
      nodeName: unit.nodeName,
      op: unit.op,
      kind: unit.kind,
      role: unit.role,
      part: unit.part,
      params: unit.params,
      macs: unit.macs,
      importance: omega[i],
      sensitivity: Array.from(sigma[i]),
    })),
    synergy: Array.from(synergy(perImage, units.length, settings.synergyEpsilon)),
    importanceByImage: perImage.map((s) => (s ? Array.from(s) : null)),
    imageNames: args.imageNames,
    excludedUnits: args.excluded.map((unit) => ({ id: unit.id, reason: unit.exclusionReason ?? 'kept at full precision' })),
    probesDone,
    probesTotal,
    complete: probesDone === probesTotal,
  };
}

/** Units by Ω, most important first; units without a value yet go last. */
export function rankByImportance(results: AnalysisResults): UnitAnalysis[] {
  return [...results.units].sort((a, b) => (Number.isNaN(b.importance) ? -1 : Number.isNaN(a.importance) ? 1 : b.importance - a.importance));
}
