/**
 * What a quantization configuration says (per-unit widths, ablations, calibrated ranges) and how it
 * turns into per-site quantizer parameters, shared by the fake-quant feeds and the export pass.
 */
import { activationParams, checkBits, type QuantizerOptions, type UniformParams } from './quantizers.ts';
import type { QuantUnit } from './units.ts';

/** One unit's setting; null widths mean full precision. */
export interface UnitConfig {
  /** Weight width (weight units; must be one of the candidate widths of the parametric model). */
  wBits: number | null;
  /** Activation width: the input of a weight unit, both inputs of an activation unit. */
  aBits: number | null;
  /** Replace the unit's output by zeros (layer importance, METHOD.md "Layer importance"). */
  ablate?: boolean;
}

/** Settings by unit id; units not listed run at full precision. */
export type QuantConfig = Readonly<Record<string, UnitConfig | undefined>>;

/** Width per unit id for a whole allocation (weights and activations share it, METHOD.md "The integer program"). */
export type Allocation = Readonly<Record<string, number | null | undefined>>;

/** The configuration of an allocation: weight units get W and A at the width, activation units A. */
export function allocationToConfig(allocation: Allocation, units: readonly QuantUnit[]): Record<string, UnitConfig> {
  const config: Record<string, UnitConfig> = {};
  for (const unit of units) {
    const bits = allocation[unit.id] ?? null;
    config[unit.id] = { wBits: unit.kind === 'weight' ? bits : null, aBits: bits };
  }
  return config;
}

export interface ActivationRange {
  min: number;
  max: number;
}

/** Calibrated ranges by site key (see siteKey). */
export type ActivationRanges = Readonly<Record<string, ActivationRange>>;

/** One activation tensor quantized per tensor: input `input` of `unit`. */
export interface ActivationSite {
  key: string;
  unitId: string;
  /** Index into unit.activationInputs. */
  input: number;
  /** Index of this input on the ONNX node. */
  nodeInput: number;
  value: string;
  quantizer: 'uniform' | 'log2';
}

export function siteKey(unitId: string, input: number): string {
  return `${unitId}#${input}`;
}

export function sitesOf(units: readonly QuantUnit[], quantizer: QuantizerOptions): ActivationSite[] {
  const sites: ActivationSite[] = [];
  for (const unit of units) {
    unit.activationInputs.forEach((value, input) => {
      const nodeInput = unit.kind === 'activation' ? input : unit.weight!.inputIndex === 1 ? 0 : 1;
      const log2 = quantizer.log2PostSoftmax && unit.postSoftmaxInput === input;
      sites.push({ key: siteKey(unit.id, input), unitId: unit.id, input, nodeInput, value, quantizer: log2 ? 'log2' : 'uniform' });
    });
  }
  return sites;
}

/** Parameters of one activation site at `bits`: a uniform grid, or the log2 quantizer's (s, τ, levels). */
export type SiteParams = { quantizer: 'uniform'; params: UniformParams } | { quantizer: 'log2'; scale: number; tau: number; levels: number };

export function siteParams(site: ActivationSite, bits: number, ranges: ActivationRanges | undefined, tau: number): SiteParams {
  checkBits(bits, `unit ${site.unitId}`);
  const range = ranges?.[site.key];
  if (!range) {
    throw new Error(`No calibrated range for input ${site.input} of unit "${site.unitId}" (${site.value}); run calibration before quantizing activations.`);
  }
  if (site.quantizer === 'log2') {
    if (!(range.max > 0)) throw new Error(`Post-softmax range of unit "${site.unitId}" has max ${range.max}; expected a positive value.`);
    return { quantizer: 'log2', scale: Math.fround(range.max), tau, levels: 2 ** bits };
  }
  return { quantizer: 'uniform', params: activationParams(range.min, range.max, bits) };
}

/**
 * Calibration per width (optional, quant/range-search.ts): activation ranges by site key and log2 τ by
 * unit id for each width. Widths without an entry use the single range and τ.
 */
export interface WidthCalibration {
  rangesByBits?: Readonly<Record<number, ActivationRanges>>;
  log2TauByBits?: Readonly<Record<number, Readonly<Record<string, number>>>>;
}

/**
 * The ranges (by site key) and τ (by unit id) a configuration actually uses: each quantized unit takes
 * its activation width's entry of `perWidth`, else the base value. The fake-quant feeds and the export
 * both read these, so they stay equal.
 */
export function resolveWidthCalibration(
  config: QuantConfig,
  units: readonly QuantUnit[],
  base: { ranges?: ActivationRanges; log2Tau?: Readonly<Record<string, number>> },
  perWidth: WidthCalibration,
): { ranges: Record<string, ActivationRange>; log2Tau: Record<string, number> } {
  const ranges: Record<string, ActivationRange> = { ...base.ranges };
  const log2Tau: Record<string, number> = { ...base.log2Tau };
  for (const unit of units) {
    const bits = config[unit.id]?.aBits;
    if (bits === null || bits === undefined) continue;
    unit.activationInputs.forEach((_, input) => {
      const range = perWidth.rangesByBits?.[bits]?.[siteKey(unit.id, input)];
      if (range) ranges[siteKey(unit.id, input)] = range;
    });
    const tau = perWidth.log2TauByBits?.[bits]?.[unit.id];
    if (tau !== undefined) log2Tau[unit.id] = tau;
  }
  return { ranges, log2Tau };
}

/** Checks a configuration against the units of one graph; ids of other graphs are ignored. */
export function checkConfig(config: QuantConfig, units: readonly QuantUnit[], weightBits: readonly number[] | null): void {
  const byId = new Map(units.map((u) => [u.id, u]));
  const graphs = new Set(units.map((u) => u.graph));
  for (const [id, setting] of Object.entries(config)) {
    if (!setting) continue;
    const unit = byId.get(id);
    if (!unit) {
      if (graphs.has(id.split(':')[0] as QuantUnit['graph'])) throw new Error(`Unknown unit "${id}" in the configuration.`);
      continue;
    }
    if (setting.wBits !== null && setting.wBits !== undefined) {
      if (unit.kind === 'activation') throw new Error(`Unit "${id}" multiplies two activations and has no weight: set aBits, not wBits.`);
      checkBits(setting.wBits, `unit ${id}`);
      if (weightBits && !weightBits.includes(setting.wBits)) {
        throw new Error(`Unit "${id}": weight width ${setting.wBits} is not among the model's candidate widths [${weightBits.join(', ')}].`);
      }
    }
    if (setting.aBits !== null && setting.aBits !== undefined) checkBits(setting.aBits, `unit ${id}`);
  }
}
