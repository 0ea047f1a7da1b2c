import { scaleBand, scaleLog } from 'd3';
import { useEffect, useMemo } from 'react';
import { ChartFrame, useChart, type ChartTooltip } from './ChartFrame';
import { depthScale, formatScientific, logDomain, partGroups, sensitivityColour, unitLabel, type ChartUnit } from './chartScales';
import { GRID, MUTED, drawColourLegend, drawPartBands, prepareSvg } from './svgParts';

export interface SensitivityHeatmapProps {
  units: readonly ChartUnit[];
  /** Widths of the columns of `sensitivity`. */
  widths: readonly number[];
  /** sensitivity[i][k] = σ_i(widths[k]) (NaN: not measured yet). */
  sensitivity: readonly (readonly number[])[];
  /** Widths actually measured; the others are estimated by σ(b) ∝ 4^(−b). */
  measuredWidths: readonly number[];
}

const MARGIN = { top: 4, bottom: 44 };
const ROW_HEIGHT = 13;

/**
 * σ_i(b) (METHOD.md "Quantization sensitivity") as a unit × width heatmap on a log colour scale: one column per
 * unit along depth, one row per width (narrowest at the bottom); estimated rows are marked with an asterisk.
 */
export function SensitivityHeatmap({ units, widths, sensitivity, measuredWidths }: SensitivityHeatmapProps) {
  const { frameRef, svgRef, width, wide, tooltip, tooltipState } = useChart(units.length);
  const domain = useMemo(() => logDomain(sensitivity.flat()), [sensitivity]);
  const height = MARGIN.top + ROW_HEIGHT * widths.length + MARGIN.bottom;
  const empty = units.length === 0 ? 'Run Analyze to measure sensitivity.' : domain === null ? 'Measuring sensitivity…' : null;
  useEffect(() => {
    if (!svgRef.current || width === 0 || empty || !domain) return;
    draw(svgRef.current, { units, widths, sensitivity, measuredWidths, width, height, domain, tooltip });
  }, [svgRef, units, widths, sensitivity, measuredWidths, width, height, empty, domain, tooltip]);
  const estimated = widths.filter((b) => !measuredWidths.includes(b));
  return (
    <ChartFrame
      title="Sensitivity σ(b) per unit and width"
      testId="sensitivity-heatmap"
      frameRef={frameRef}
      tooltipState={tooltipState}
      wide={wide}
      empty={empty}
      note={estimated.length > 0 ? `KL with only that unit at b bits; * estimated (4^−b)` : 'KL with only that unit at b bits'}
    >
      <svg ref={svgRef} data-chart="sensitivity" style={{ height }} />
    </ChartFrame>
  );
}

function draw(
  element: SVGSVGElement,
  props: SensitivityHeatmapProps & { width: number; height: number; domain: [number, number]; tooltip: ChartTooltip },
): void {
  const { units, widths, sensitivity, measuredWidths, width, height, domain, tooltip } = props;
  const svg = prepareSvg(element, width, height, `Sensitivity of ${units.length} units at ${widths.join(', ')} bits`);
  const x = depthScale(units.length, width, 0);
  const plotBottom = MARGIN.top + ROW_HEIGHT * widths.length;
  const y = scaleBand<number>()
    .domain([...widths].sort((a, b) => b - a))
    .range([MARGIN.top, plotBottom])
    .paddingInner(0.08);
  drawPartBands(svg, partGroups(units), x, MARGIN.top, plotBottom);
  const colourScale = scaleLog().domain(domain).range([0, 1]).clamp(true);
  const cells = units.flatMap((_, i) => widths.map((bits, k) => ({ i, bits, sigma: sensitivity[i]?.[k] ?? NaN })));
  const describe = (cell: { i: number; bits: number; sigma: number }) => [
    unitLabel(units[cell.i]),
    `σ(${cell.bits} bits) = ${formatScientific(cell.sigma)}${measuredWidths.includes(cell.bits) ? '' : ' (estimated)'}`,
  ];
  svg
    .append('g')
    .attr('class', 'cells')
    .selectAll('rect')
    .data(cells)
    .join('rect')
    .attr('x', (c) => x(c.i) ?? 0)
    .attr('width', Math.max(1, x.bandwidth()))
    .attr('y', (c) => y(c.bits) ?? 0)
    .attr('height', y.bandwidth())
    .attr('fill', (c) => (Number.isFinite(c.sigma) && c.sigma > 0 ? sensitivityColour(colourScale(c.sigma)) : GRID))
    .on('pointerenter pointermove', (event: PointerEvent, c) => tooltip.show(event, describe(c)))
    .on('pointerleave', () => tooltip.hide())
    .append('title')
    .text((c) => describe(c).join('\n'));
  svg
    .append('g')
    .attr('class', 'row-labels')
    .selectAll('text')
    .data(widths)
    .join('text')
    .attr('x', x.range()[0] - 4)
    .attr('y', (b) => (y(b) ?? 0) + y.bandwidth() / 2 + 3.5)
    .attr('text-anchor', 'end')
    .attr('fill', (b) => (measuredWidths.includes(b) ? '#1d2330' : MUTED))
    .text((b) => `${b} bit${measuredWidths.includes(b) ? '' : '*'}`);
  drawColourLegend(svg, {
    id: 'sensitivity-legend-gradient',
    domain,
    log: true,
    colour: sensitivityColour,
    x: x.range()[0],
    y: plotBottom + 19,
    width: Math.min(300, x.range()[1] - x.range()[0]),
    label: 'σ (KL, log)',
  });
}
