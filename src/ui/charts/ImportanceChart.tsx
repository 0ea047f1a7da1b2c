import { scaleLog } from 'd3';
import { useEffect, useMemo } from 'react';
import { ChartFrame, useChart, type ChartTooltip } from './ChartFrame';
import {
  SECTION_COLOURS,
  decadeTicks,
  depthScale,
  formatCount,
  formatDecade,
  formatScientific,
  logDomain,
  partGroups,
  sectionOf,
  unitLabel,
  type ChartUnit,
} from './chartScales';
import { drawPartBands, drawSwatches, drawValueAxis, prepareSvg } from './svgParts';

export interface ImportanceChartProps {
  units: readonly ChartUnit[];
  /** Ω_i per unit (NaN: not measured yet). */
  importance: readonly number[];
  height?: number;
}

const MARGIN = { top: 16, bottom: 18 };

/**
 * Layer importance Ω (METHOD.md "Layer importance Ω") along depth: one bar per unit in execution order on a log
 * axis (Ω spans decades), over bands of SAM parts, coloured by section (encoder blocks, neck, decoder).
 */
export function ImportanceChart({ units, importance, height = 150 }: ImportanceChartProps) {
  const { frameRef, svgRef, width, wide, tooltip, tooltipState } = useChart(units.length);
  const domain = useMemo(() => logDomain(importance), [importance]);
  const empty = units.length === 0 ? 'Run Analyze to measure importance.' : domain === null ? 'Measuring importance…' : null;
  useEffect(() => {
    if (!svgRef.current || width === 0 || empty || !domain) return;
    draw(svgRef.current, { units, importance, height, width, domain, tooltip });
  }, [svgRef, units, importance, height, width, empty, domain, tooltip]);
  return (
    <ChartFrame
      title="Importance Ω by depth"
      testId="importance-chart"
      frameRef={frameRef}
      tooltipState={tooltipState}
      wide={wide}
      empty={empty}
      note="KL when the unit is zeroed, normalized; log scale"
    >
      <svg ref={svgRef} data-chart="importance" style={{ height }} />
    </ChartFrame>
  );
}

function draw(
  element: SVGSVGElement,
  props: { units: readonly ChartUnit[]; importance: readonly number[]; height: number; width: number; domain: [number, number]; tooltip: ChartTooltip },
): void {
  const { units, importance, height, width, domain, tooltip } = props;
  const svg = prepareSvg(element, width, height, `Importance Ω of ${units.length} units along depth`);
  const x = depthScale(units.length, width);
  const bottom = height - MARGIN.bottom;
  const y = scaleLog().domain(domain).range([bottom, MARGIN.top]);
  drawPartBands(svg, partGroups(units), x, MARGIN.top, bottom);

  const ticks = decadeTicks(domain, 4);
  drawValueAxis(svg, x, y, ticks, formatDecade);

  const rank = rankOf(importance);
  const measured = units.map((_, i) => i).filter((i) => Number.isFinite(importance[i]) && importance[i] > 0);
  const describe = (i: number) => [
    unitLabel(units[i]),
    `Ω = ${formatScientific(importance[i])}${rank[i] ? ` (rank ${rank[i]} of ${units.length})` : ''}`,
    `params ${formatCount(units[i].params ?? null)} · MACs ${formatCount(units[i].macs ?? null)}`,
  ];
  svg
    .append('g')
    .attr('class', 'bars')
    .selectAll('rect')
    .data(measured)
    .join('rect')
    .attr('x', (i) => x(i) ?? 0)
    .attr('width', x.bandwidth())
    .attr('y', (i) => y(Math.max(importance[i], domain[0])))
    .attr('height', (i) => bottom - y(Math.max(importance[i], domain[0])))
    .attr('fill', (i) => SECTION_COLOURS[sectionOf(units[i])])
    .attr('data-unit', (i) => units[i].id)
    .on('pointerenter pointermove', (event: PointerEvent, i) => tooltip.show(event, describe(i)))
    .on('pointerleave', () => tooltip.hide())
    .append('title')
    .text((i) => describe(i).join('\n'));

  drawSwatches(
    svg,
    [
      { label: 'encoder', colour: SECTION_COLOURS.encoder },
      { label: 'neck', colour: SECTION_COLOURS.neck },
      { label: 'decoder', colour: SECTION_COLOURS.decoder },
    ],
    x.range()[0],
    10,
  );
}

/** 1-based rank by Ω, largest first; 0 for units not measured. */
function rankOf(importance: readonly number[]): number[] {
  const order = importance
    .map((value, i) => ({ value, i }))
    .filter((entry) => Number.isFinite(entry.value))
    .sort((a, b) => b.value - a.value);
  const rank = new Array<number>(importance.length).fill(0);
  order.forEach((entry, k) => (rank[entry.i] = k + 1));
  return rank;
}
