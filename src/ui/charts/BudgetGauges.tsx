import { scaleLinear } from 'd3';
import { useEffect } from 'react';
import { ChartFrame, useChart, type ChartTooltip } from './ChartFrame';
import { GRID, INK, MUTED, prepareSvg } from './svgParts';

/** One gauge: the allocation's value on a track from 0 to the full-precision model, with reference marks. */
export interface GaugeRow {
  /** "Size", "BOPs". */
  label: string;
  /** The allocation's value; null when there is none. */
  value: number | null;
  /** The budget ceiling (null: no budget). */
  budget: number | null;
  /** Uniform W8A8 over the same units. */
  w8: number;
  /** Full precision (FP32) over the same units: the track's end. */
  fp: number;
  format: (value: number) => string;
}

export interface BudgetGaugesProps {
  rows: readonly GaugeRow[];
  stale: boolean;
}

const ROW_HEIGHT = 46;
const LABEL_WIDTH = 46;

function percent(value: number, of: number): string {
  const p = (100 * value) / of;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

/** Size (MB) and BOPs of the allocation against its budget, uniform W8A8 and FP32. */
export function BudgetGauges({ rows, stale }: BudgetGaugesProps) {
  const { frameRef, svgRef, width, tooltip, tooltipState } = useChart();
  const height = rows.length * ROW_HEIGHT + 4;
  const empty = rows.length === 0 ? 'Run Analyze to see sizes and BOPs.' : null;
  useEffect(() => {
    if (!svgRef.current || width === 0 || empty) return;
    draw(svgRef.current, { rows, stale, width, height, tooltip });
  }, [svgRef, rows, stale, width, height, empty, tooltip]);
  return (
    <ChartFrame title="Size and BOPs" testId="budget-gauges" frameRef={frameRef} tooltipState={tooltipState} empty={empty} note="of the quantizable units">
      <svg ref={svgRef} data-chart="gauges" style={{ height }} />
    </ChartFrame>
  );
}

function draw(element: SVGSVGElement, props: BudgetGaugesProps & { width: number; height: number; tooltip: ChartTooltip }): void {
  const { rows, stale, width, height, tooltip } = props;
  const svg = prepareSvg(element, width, height, rows.map((row) => `${row.label} ${row.value === null ? 'none' : row.format(row.value)}`).join(', '));
  rows.forEach((row, k) => {
    const top = k * ROW_HEIGHT + 2;
    const x = scaleLinear().domain([0, row.fp]).range([LABEL_WIDTH, width - 12]);
    const g = svg.append('g').attr('data-gauge', row.label);
    g.append('text').attr('x', 0).attr('y', top + 21).attr('font-weight', 600).text(row.label);
    const summary =
      row.value === null ? 'no allocation' : `${row.format(row.value)} · ${percent(row.value, row.w8)} of W8A8 · ${percent(row.value, row.fp)} of FP32`;
    g.append('text').attr('x', width - 12).attr('y', top + 9).attr('text-anchor', 'end').attr('fill', stale ? MUTED : INK).text(summary);
    const trackTop = top + 14;
    g.append('rect').attr('x', x(0)).attr('y', trackTop).attr('width', x(row.fp) - x(0)).attr('height', 10).attr('rx', 2).attr('fill', GRID);
    if (row.value !== null) {
      g.append('rect')
        .attr('class', 'gauge-value')
        .attr('x', x(0))
        .attr('y', trackTop)
        .attr('width', Math.max(1, x(Math.min(row.value, row.fp)) - x(0)))
        .attr('height', 10)
        .attr('rx', 2)
        .attr('fill', stale ? '#9db8e8' : '#1e6fe6');
    }
    const marks: { value: number; label: string; colour: string; dash?: string }[] = [
      { value: row.w8, label: 'W8A8', colour: MUTED },
      { value: row.fp, label: 'FP32', colour: MUTED },
    ];
    if (row.budget !== null) marks.push({ value: row.budget, label: 'budget', colour: INK, dash: '2 1.5' });
    let lastLabelEnd = -Infinity;
    for (const mark of [...marks].sort((a, b) => a.value - b.value)) {
      const at = x(Math.min(mark.value, row.fp));
      g.append('line')
        .attr('x1', at)
        .attr('x2', at)
        .attr('y1', trackTop - 3)
        .attr('y2', trackTop + 13)
        .attr('stroke', mark.colour)
        .attr('stroke-width', mark.label === 'budget' ? 1.6 : 1)
        .attr('stroke-dasharray', mark.dash ?? null);
      const anchor = mark.label === 'FP32' ? 'end' : 'middle';
      const textWidth = mark.label.length * 5.6;
      const start = anchor === 'end' ? at - textWidth : at - textWidth / 2;
      if (start < lastLabelEnd + 3) continue;
      lastLabelEnd = start + textWidth;
      g.append('text').attr('x', at).attr('y', trackTop + 23).attr('text-anchor', anchor).attr('fill', mark.colour).text(mark.label);
    }
    const lines = [
      row.label,
      row.value === null ? 'no allocation' : `allocation ${row.format(row.value)}`,
      row.budget === null ? 'no budget' : `budget ${row.format(row.budget)}`,
      `W8A8 ${row.format(row.w8)} · FP32 ${row.format(row.fp)}`,
    ];
    g.append('rect')
      .attr('x', 0)
      .attr('y', top)
      .attr('width', width)
      .attr('height', ROW_HEIGHT - 4)
      .attr('fill', 'transparent')
      .on('pointerenter pointermove', (event: PointerEvent) => tooltip.show(event, lines))
      .on('pointerleave', () => tooltip.hide())
      .append('title')
      .text(lines.join('\n'));
  });
}
