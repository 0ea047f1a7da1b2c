/**
 * d3 drawing pieces the charts share: the <svg> set up to stand alone (so a serialized copy renders the same in
 * the report), SAM part bands along depth, swatch legends and gradient colour legends.
 */
import { axisBottom, axisLeft, scaleLinear, scaleLog, select, type AxisScale, type ScaleBand, type Selection } from 'd3';
import { SECTION_COLOURS, decadeTicks, formatDecade, type PartGroup } from './chartScales';

export type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
export type Group = Selection<SVGGElement, unknown, null, undefined>;

export const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
export const INK = '#1d2330';
export const MUTED = '#667085';
export const GRID = '#e4e7ec';

/** Clears the <svg> and gives it a size, a viewBox and its own font, so it renders the same outside the page. */
export function prepareSvg(element: SVGSVGElement, width: number, height: number, label: string): Svg {
  const svg = select(element);
  svg.selectAll('*').remove();
  svg
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('font-family', FONT)
    .attr('font-size', 10)
    .attr('fill', INK)
    .attr('role', 'img')
    .attr('aria-label', label);
  return svg;
}

/**
 * A value axis on the left of a depth chart and horizontal grid lines across it, at `gridTicks`
 * (default: every axis tick).
 */
export function drawValueAxis(
  svg: Svg,
  x: ScaleBand<number>,
  y: AxisScale<number> & ((value: number) => number | undefined),
  ticks: readonly number[],
  format: (value: number) => string,
  gridTicks: readonly number[] = ticks,
): void {
  svg
    .append('g')
    .attr('class', 'grid')
    .selectAll('line')
    .data(gridTicks)
    .join('line')
    .attr('x1', x.range()[0])
    .attr('x2', x.range()[1])
    .attr('y1', (t) => y(t) ?? 0)
    .attr('y2', (t) => y(t) ?? 0)
    .attr('stroke', GRID);
  svg
    .append('g')
    .attr('transform', `translate(${x.range()[0] - 2},0)`)
    .call(axisLeft(y).tickValues(ticks).tickFormat((v) => format(Number(v))).tickSize(3))
    .call((g) => g.select('.domain').attr('stroke', MUTED));
}

/** Alternating background bands per part and a label under each (dropped where it would not fit). */
export function drawPartBands(root: Svg | Group, groups: readonly PartGroup[], x: ScaleBand<number>, top: number, bottom: number): void {
  const step = x.step();
  const left = (g: PartGroup) => (x(g.start) ?? 0) - (step - x.bandwidth()) / 2;
  const right = (g: PartGroup) => (x(g.end - 1) ?? 0) + x.bandwidth() + (step - x.bandwidth()) / 2;
  const layer = root.append('g').attr('class', 'part-bands');
  layer
    .selectAll('rect')
    .data(groups)
    .join('rect')
    .attr('x', left)
    .attr('y', top)
    .attr('width', (g) => Math.max(0, right(g) - left(g)))
    .attr('height', bottom - top)
    .attr('fill', (_, i) => (i % 2 === 0 ? '#f4f6fa' : '#ffffff'));
  layer
    .selectAll('line.section')
    .data(groups.filter((g, i) => i > 0 && g.section !== groups[i - 1].section))
    .join('line')
    .attr('class', 'section')
    .attr('x1', left)
    .attr('x2', left)
    .attr('y1', top)
    .attr('y2', bottom + 12)
    .attr('stroke', '#98a2b3')
    .attr('stroke-dasharray', '3 2');
  let lastEnd = -Infinity;
  for (const g of groups) {
    const centre = (left(g) + right(g)) / 2;
    const textWidth = g.short.length * 5.6;
    if (centre - textWidth / 2 < lastEnd + 2) continue;
    lastEnd = centre + textWidth / 2;
    layer
      .append('text')
      .attr('x', centre)
      .attr('y', bottom + 11)
      .attr('text-anchor', 'middle')
      .attr('fill', SECTION_COLOURS[g.section])
      .text(g.short)
      .append('title')
      .text(g.part);
  }
}

export interface SwatchItem {
  label: string;
  colour: string;
  /** Draw an outline instead of a filled square. */
  outline?: boolean;
}

/** A row of coloured squares with labels, starting at (x, y); returns its width. */
export function drawSwatches(root: Svg | Group, items: readonly SwatchItem[], x: number, y: number): number {
  const layer = root.append('g').attr('class', 'legend').attr('transform', `translate(${x},${y})`);
  let offset = 0;
  for (const item of items) {
    layer
      .append('rect')
      .attr('x', offset)
      .attr('y', -7)
      .attr('width', 9)
      .attr('height', 9)
      .attr('rx', 1.5)
      .attr('fill', item.outline ? 'none' : item.colour)
      .attr('stroke', item.outline ? item.colour : 'none')
      .attr('stroke-width', item.outline ? 1.5 : 0);
    layer.append('text').attr('x', offset + 12).attr('y', 1).attr('fill', MUTED).text(item.label);
    offset += 12 + item.label.length * 5.6 + 10;
  }
  return offset;
}

/**
 * A horizontal colour legend: a gradient from `colour(0)` to `colour(1)` with an axis below, log (decade ticks)
 * or linear. The gradient id must be unique in the page and in the report that inlines every chart.
 */
export function drawColourLegend(
  root: Svg | Group,
  options: {
    id: string;
    domain: readonly [number, number];
    log: boolean;
    colour: (t: number) => string;
    x: number;
    y: number;
    width: number;
    label: string;
  },
): void {
  const { id, domain, log, colour, x, y, width, label } = options;
  const gradient = root.append('defs').append('linearGradient').attr('id', id).attr('x1', '0%').attr('x2', '100%');
  for (let k = 0; k <= 10; k++) {
    gradient
      .append('stop')
      .attr('offset', `${k * 10}%`)
      .attr('stop-color', colour(k / 10));
  }
  const layer = root.append('g').attr('class', 'colour-legend').attr('transform', `translate(${x},${y})`);
  layer.append('text').attr('x', 0).attr('y', 8).attr('fill', MUTED).text(label);
  const labelWidth = label.length * 5.6 + 8;
  const barWidth = Math.max(40, width - labelWidth);
  const bar = layer.append('g').attr('transform', `translate(${labelWidth},0)`);
  bar.append('rect').attr('width', barWidth).attr('height', 9).attr('fill', `url(#${id})`).attr('stroke', GRID);
  const axis = log
    ? axisBottom(scaleLog().domain(domain).range([0, barWidth]))
        .tickValues(decadeTicks(domain, Math.max(2, Math.floor(barWidth / 34))))
        .tickFormat((v) => formatDecade(Number(v)))
    : axisBottom(scaleLinear().domain(domain).range([0, barWidth])).ticks(Math.max(2, Math.floor(barWidth / 40)));
  bar.append('g').attr('transform', 'translate(0,9)').call(axis.tickSize(3)).call((g) => g.select('.domain').remove());
}
