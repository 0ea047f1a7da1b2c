/**
 * Pure pieces shared by the charts: how units group into SAM parts along depth, the scales' domains, colours
 * and number formats. No DOM here, so Node tests pin them.
 */
import { format, interpolateBlues, interpolateYlGnBu, interpolateYlOrRd, scaleBand, type ScaleBand } from 'd3';

/** What a chart needs to know about a unit to place and name it (UnitAnalysis has all of it). */
export interface ChartUnit {
  id: string;
  part: string;
  role: string;
  graph: 'encoder' | 'decoder';
  params?: number;
  macs?: number | null;
}

/** A run of consecutive units of one SAM part ("encoder block 3", "neck", "decoder layer 0", …). */
export interface PartGroup {
  part: string;
  /** Label under the axis: E3, neck, D0, final, … */
  short: string;
  section: Section;
  /** First unit index and one past the last. */
  start: number;
  end: number;
}

/** Sections of SAM along depth, each with its own colour. */
export type Section = 'encoder' | 'neck' | 'decoder';

export const SECTION_COLOURS: Readonly<Record<Section, string>> = { encoder: '#3b73d9', neck: '#8b5cf6', decoder: '#0f9d76' };

/** Left and right margins shared by every depth chart, so one unit's column lines up across them. */
export const DEPTH_MARGIN = { left: 46, right: 10 } as const;

export function sectionOf(unit: Pick<ChartUnit, 'part' | 'graph'>): Section {
  if (unit.part === 'neck') return 'neck';
  return unit.graph === 'encoder' ? 'encoder' : 'decoder';
}

export function shortPartName(part: string): string {
  const numbered = /^(encoder block|decoder layer) (\d+)$/.exec(part);
  if (numbered) return `${numbered[1] === 'encoder block' ? 'E' : 'D'}${numbered[2]}`;
  // Hierarchical encoders (TinyViT): stage S block B → S1B0, stage S downsample → S1↓.
  const staged = /^encoder stage (\d+) (?:block (\d+)|(downsample))$/.exec(part);
  if (staged) return staged[3] ? `S${staged[1]}↓` : `S${staged[1]}B${staged[2]}`;
  if (part === 'final attention') return 'final';
  return part.split(' ')[0];
}

/** Consecutive units of the same part, in execution order. */
export function partGroups(units: readonly Pick<ChartUnit, 'part' | 'graph'>[]): PartGroup[] {
  const groups: PartGroup[] = [];
  units.forEach((unit, i) => {
    const last = groups[groups.length - 1];
    if (last && last.part === unit.part && last.end === i) last.end = i + 1;
    else groups.push({ part: unit.part, short: shortPartName(unit.part), section: sectionOf(unit), start: i, end: i + 1 });
  });
  return groups;
}

/** "encoder block 3 · qkv": the unit and its SAM part, as tooltips and tables name it. */
export function unitLabel(unit: Pick<ChartUnit, 'part' | 'role'>): string {
  return `${unit.part} · ${unit.role}`;
}

/** The narrowest a unit's band may get: below it a depth chart grows wider than its frame and scrolls. */
export const MIN_UNIT_PX = 5;

/** Width to draw a depth chart of `count` units in a frame this wide: the frame's, or wider so bands stay readable. */
export function depthChartWidth(frameWidth: number, count: number): number {
  if (frameWidth <= 0 || count <= 0) return frameWidth;
  return Math.max(frameWidth, DEPTH_MARGIN.left + DEPTH_MARGIN.right + count * MIN_UNIT_PX);
}

/** One band per unit across the plot width (between the shared depth margins). */
export function depthScale(count: number, width: number, padding = 0.15): ScaleBand<number> {
  return scaleBand<number>()
    .domain(Array.from({ length: count }, (_, i) => i))
    .range([DEPTH_MARGIN.left, Math.max(DEPTH_MARGIN.left + 1, width - DEPTH_MARGIN.right)])
    .paddingInner(padding)
    .paddingOuter(0);
}

/**
 * Domain of a log scale over the finite positive values, widened to whole decades so that axis ticks and
 * legends land on powers of ten; null when there is no such value. A single value gets one decade each side.
 */
export function logDomain(values: readonly number[]): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!(Number.isFinite(v) && v > 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return null;
  let low = Math.floor(Math.log10(min));
  let high = Math.ceil(Math.log10(max));
  if (low === high) {
    low -= 1;
    high += 1;
  }
  return [decade(low), decade(high)];
}

/** 10^e written exactly (10 ** -5 is 9.999999999999999e-6 in floating point). */
function decade(e: number): number {
  return Number(`1e${e}`);
}

/** Powers of ten inside a log domain, at most `count` of them (every k-th decade when there are more). */
export function decadeTicks(domain: readonly [number, number], count = 5): number[] {
  const low = Math.round(Math.log10(domain[0]));
  const high = Math.round(Math.log10(domain[1]));
  const step = Math.max(1, Math.ceil((high - low) / Math.max(1, count - 1)));
  const ticks: number[] = [];
  for (let e = low; e <= high; e += step) ticks.push(decade(e));
  return ticks;
}

/** Finite min and max (null when there are none). */
export function finiteExtent(values: readonly number[]): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? null : [min, max];
}

/** Colour of FP (unquantized) units in allocation charts and legends. */
export const FP_COLOUR = '#7a8190';

/**
 * Colour of a bit-width, fixed across presets (4 bits always looks the same): light for 2 bits, dark for 8,
 * FP grey. Height encodes the width too; colour makes runs of equal widths visible at a glance.
 */
export function widthColour(bits: number | null): string {
  if (bits === null || bits > 8) return FP_COLOUR;
  const t = Math.min(1, Math.max(0, (bits - 2) / 6));
  return interpolateYlGnBu(0.3 + 0.68 * t);
}

/** Heatmap colour of σ at position t ∈ [0, 1] of its log domain. */
export function sensitivityColour(t: number): string {
  return interpolateYlOrRd(0.05 + 0.95 * Math.min(1, Math.max(0, t)));
}

/** Strip colour of Ŝ at position t ∈ [0, 1] of its domain. */
export function synergyColour(t: number): string {
  return interpolateBlues(0.12 + 0.83 * Math.min(1, Math.max(0, t)));
}

/** 3 significant digits in scientific form ("1.23e-4"); "—" for a value not measured yet. */
export function formatScientific(value: number): string {
  return Number.isFinite(value) ? value.toExponential(2) : '—';
}

/** A power of ten as an axis label: 1e-3 → "1e-3", 1 → "1", 10 → "10". */
export function formatDecade(value: number): string {
  const e = Math.round(Math.log10(value));
  return e >= 0 && e <= 2 ? String(decade(e)) : `1e${e}`;
}

const siFormat = format('.3~s');

/** Counts with SI prefixes: 76800 → "76.8k", 19660800 → "19.7M". */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return siFormat(value);
}

/** "4 bits", "FP" for null. */
export function formatWidth(bits: number | null): string {
  return bits === null ? 'FP' : `${bits} bit${bits === 1 ? '' : 's'}`;
}
