/**
 * The allocation a Node export reads: the studio's report.json (each unit's `bits`, weights and
 * activations at the same width, METHOD.md "The integer program"), what `npm run solve` writes
 * (format "mix-qsam-allocation": `widthByUnit`, one width per unit for both), or a plain
 * `{"units": [{"id": "...", "wBits": 4, "aBits": 8}]}` when weights and activations differ (or
 * `{"id": "...", "bits": 4}` for both).
 */
import { REPORT_FORMAT } from '../report/reportSchema';
import type { UnitSettings } from './exportAllocation';
import type { WeightRounding } from '../analysis/settings';

/** The format tag of the files `npm run solve` writes. */
export const ALLOCATION_FILE_FORMAT = 'mix-qsam-allocation';

export interface AllocationFile {
  settings: UnitSettings;
  source: 'report' | 'solve' | 'units';
  /** The weight rounding a studio report says its model used (absent in other files and older reports). */
  weightRounding?: WeightRounding;
  /** Whether a studio report says its model's biases were corrected (absent in other files and older reports). */
  biasCorrection?: boolean;
}

const SHAPES = `Expected the studio's report.json (format "${REPORT_FORMAT}"), the output of npm run solve (format "${ALLOCATION_FILE_FORMAT}") or {"units": [{"id": "encoder:/blocks.0/attn/qkv/MatMul", "wBits": 4, "aBits": 8}, …]}.`;

function width(value: unknown, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 16) throw new Error(`${what} must be a whole number of bits from 1 to 16 or null, got ${JSON.stringify(value)}.`);
  return value;
}

/** A solve's widths: the same width for a unit's weights and its input activations (activation units drop wBits later). */
function solvedSettings(widthByUnit: unknown): AllocationFile {
  if (typeof widthByUnit !== 'object' || widthByUnit === null) throw new Error('This solve found no allocation within its budgets (widthByUnit is null): solve again with a larger budget.');
  const settings: Record<string, { wBits: number | null; aBits: number | null }> = {};
  for (const [id, value] of Object.entries(widthByUnit as Record<string, unknown>)) {
    const bits = width(value, `The width of unit "${id}"`);
    if (bits !== null) settings[id] = { wBits: bits, aBits: bits };
  }
  if (Object.keys(settings).length === 0) throw new Error('The solve left every unit at full precision: there is nothing to quantize.');
  return { settings, source: 'solve' };
}

export function parseAllocationFile(json: unknown): AllocationFile {
  if (typeof json === 'object' && json !== null && (json as { format?: unknown }).format === ALLOCATION_FILE_FORMAT) return solvedSettings((json as { widthByUnit?: unknown }).widthByUnit);
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { units?: unknown }).units)) throw new Error(`This file holds no units. ${SHAPES}`);
  const record = json as { format?: unknown; units: unknown[] };
  const settings: Record<string, { wBits: number | null; aBits: number | null }> = {};
  const report = record.format === REPORT_FORMAT;
  record.units.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || typeof (entry as { id?: unknown }).id !== 'string') throw new Error(`Unit ${i + 1} has no "id". ${SHAPES}`);
    const unit = entry as { id: string; kind?: unknown; bits?: unknown; wBits?: unknown; aBits?: unknown };
    if (settings[unit.id]) throw new Error(`Unit "${unit.id}" is listed twice.`);
    if (report) {
      const bits = width(unit.bits, `"bits" of unit "${unit.id}"`);
      if (bits !== null) settings[unit.id] = { wBits: unit.kind === 'activation' ? null : bits, aBits: bits };
      return;
    }
    const both = width(unit.bits, `"bits" of unit "${unit.id}"`);
    const wBits = unit.wBits === undefined ? both : width(unit.wBits, `"wBits" of unit "${unit.id}"`);
    const aBits = unit.aBits === undefined ? both : width(unit.aBits, `"aBits" of unit "${unit.id}"`);
    if (wBits !== null || aBits !== null) settings[unit.id] = { wBits, aBits };
  });
  if (Object.keys(settings).length === 0) {
    throw new Error(report ? 'The report holds no allocation (every unit at full precision): solve one in the studio before exporting.' : `No unit has a width. ${SHAPES}`);
  }
  const quantizer = report ? (json as { analysis?: { quantizer?: { weightRounding?: unknown; biasCorrection?: unknown } } }).analysis?.quantizer : undefined;
  const rounding = quantizer?.weightRounding;
  const corrected = quantizer?.biasCorrection;
  return {
    settings,
    source: report ? 'report' : 'units',
    ...(rounding === 'gptq' || rounding === 'nearest' ? { weightRounding: rounding } : {}),
    ...(typeof corrected === 'boolean' ? { biasCorrection: corrected } : {}),
  };
}
