import { scaleLinear } from 'd3';
import { useEffect, useMemo } from 'react';
import { ChartFrame, useChart, type ChartTooltip } from './ChartFrame';
import { depthScale, finiteExtent, partGroups, synergyColour, unitLabel, type ChartUnit } from './chartScales';
import { GRID, drawColourLegend, drawPartBands, prepareSvg } from './svgParts';

export interface SynergyStripProps {
  units: readonly ChartUnit[];
  /** Ŝ between units[i] and units[i+1] (NaN: not measured yet). */
  synergy: readonly number[];
}

const STRIP = { top: 4, height: 16 };
const HEIGHT = 66;

/**
 * Cross-layer synergy Ŝ (METHOD.md "Cross-layer synergy") between neighbours: each cell spans from one unit's
 * column to the next one's, so it sits between the two units it links. Darker: the two should share a width.
 */
export function SynergyStrip({ units, synergy }: SynergyStripProps) {
  const { frameRef, svgRef, width, wide, tooltip, tooltipState } = useChart(units.length);
  const extent = useMemo(() => finiteExtent(synergy), [synergy]);
  const empty = units.length < 2 ? 'Run Analyze to measure synergy between neighbours.' : extent === null ? 'Measuring synergy…' : null;
  useEffect(() => {
    if (!svgRef.current || width === 0 || empty || !extent) return;
    draw(svgRef.current, { units, synergy, width, extent, tooltip });
  }, [svgRef, units, synergy, width, empty, extent, tooltip]);
  return (
    <ChartFrame
      title="Synergy Ŝ between neighbours"
      testId="synergy-strip"
      frameRef={frameRef}
      tooltipState={tooltipState}
      wide={wide}
      empty={empty}
      note="darker: similar per-image importance, keep widths alike"
    >
      <svg ref={svgRef} data-chart="synergy" style={{ height: HEIGHT }} />
    </ChartFrame>
  );
}

function draw(
  element: SVGSVGElement,
  props: { units: readonly ChartUnit[]; synergy: readonly number[]; width: number; extent: [number, number]; tooltip: ChartTooltip },
): void {
  const { units, synergy, width, extent, tooltip } = props;
  const svg = prepareSvg(element, width, HEIGHT, `Synergy between ${units.length - 1} neighbouring unit pairs`);
  const x = depthScale(units.length, width, 0);
  const bottom = STRIP.top + STRIP.height;
  drawPartBands(svg, partGroups(units), x, STRIP.top, bottom);
  const domain: [number, number] = extent[0] === extent[1] ? [extent[0] - 1, extent[1] + 1] : extent;
  const colourScale = scaleLinear().domain(domain).range([0, 1]).clamp(true);
  const centre = (i: number) => (x(i) ?? 0) + x.bandwidth() / 2;
  const pairs = synergy.map((value, i) => ({ i, value })).slice(0, Math.max(0, units.length - 1));
  const describe = (pair: { i: number; value: number }) => [
    `Ŝ = ${Number.isFinite(pair.value) ? pair.value.toFixed(3) : '—'}`,
    `between ${unitLabel(units[pair.i])}`,
    `and ${unitLabel(units[pair.i + 1])}`,
  ];
  svg
    .append('g')
    .attr('class', 'cells')
    .selectAll('rect')
    .data(pairs)
    .join('rect')
    .attr('x', (p) => centre(p.i))
    .attr('width', (p) => Math.max(0.5, centre(p.i + 1) - centre(p.i)))
    .attr('y', STRIP.top)
    .attr('height', STRIP.height)
    .attr('fill', (p) => (Number.isFinite(p.value) ? synergyColour(colourScale(p.value)) : GRID))
    .on('pointerenter pointermove', (event: PointerEvent, p) => tooltip.show(event, describe(p)))
    .on('pointerleave', () => tooltip.hide())
    .append('title')
    .text((p) => describe(p).join(' '));
  svg
    .append('text')
    .attr('x', x.range()[0] - 4)
    .attr('y', STRIP.top + STRIP.height / 2 + 3.5)
    .attr('text-anchor', 'end')
    .text('Ŝ');
  drawColourLegend(svg, {
    id: 'synergy-legend-gradient',
    domain,
    log: false,
    colour: synergyColour,
    x: x.range()[0],
    y: bottom + 20,
    width: Math.min(300, x.range()[1] - x.range()[0]),
    label: 'Ŝ',
  });
}
