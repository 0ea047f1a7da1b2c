import { axisBottom, axisLeft, line, scaleLinear } from 'd3';
import { useEffect } from 'react';
import { ChartFrame, useChart, type ChartTooltip } from './ChartFrame';
import { GRID, INK, MUTED, prepareSvg } from './svgParts';

export interface ParetoChartPoint {
  /** The swept budget (average bits). */
  budgetBits: number;
  /** Best objective found at that budget; null when none fits. */
  objective: number | null;
  /** Certified relative gap of that point (0: proven optimal). */
  gap: number | null;
}

export interface ParetoChartProps {
  points: readonly ParetoChartPoint[];
  /** The allocation the controls describe now. */
  current: { budgetBits: number; objective: number } | null;
  /** "size budget (bits per weight)" or "BOPs budget (uniform-equivalent bits)". */
  xLabel: string;
  /** What the objective is, with its direction. */
  yLabel: string;
  /** Shown instead of the plot (sweep running, infeasible, no analysis). */
  emptyReason?: string | null;
  running: boolean;
}

const HEIGHT = 170;
const MARGIN = { top: 22, right: 14, bottom: 30, left: 46 };

/**
 * The best objective across budgets (METHOD.md's users: "a full Pareto curve, not one point"), with the
 * current allocation as a red dot. Hollow points are not proven optimal (their gap shows in the tooltip).
 */
export function ParetoChart({ points, current, xLabel, yLabel, emptyReason, running }: ParetoChartProps) {
  const { frameRef, svgRef, width, tooltip, tooltipState } = useChart();
  const plotted = points.filter((p) => p.objective !== null);
  const empty = emptyReason ?? (plotted.length === 0 ? (running ? 'Sweeping budgets…' : 'No Pareto curve yet.') : null);
  useEffect(() => {
    if (!svgRef.current || width === 0 || empty) return;
    draw(svgRef.current, { points, current, xLabel, yLabel, running, width, tooltip });
  }, [svgRef, points, current, xLabel, yLabel, running, width, empty, tooltip]);
  return (
    <ChartFrame
      title="Pareto: budget → objective"
      testId="pareto-chart"
      frameRef={frameRef}
      tooltipState={tooltipState}
      empty={empty}
      note={running ? 'updating…' : 'red: current allocation'}
    >
      <svg ref={svgRef} data-chart="pareto" data-points={plotted.length} style={{ height: HEIGHT }} />
    </ChartFrame>
  );
}

function draw(element: SVGSVGElement, props: Omit<ParetoChartProps, 'emptyReason'> & { width: number; tooltip: ChartTooltip }): void {
  const { points, current, xLabel, yLabel, running, width, tooltip } = props;
  const svg = prepareSvg(element, width, HEIGHT, `Best objective across ${points.length} budgets`);
  const plotted = points.filter((p): p is ParetoChartPoint & { objective: number } => p.objective !== null);
  const xs = plotted.map((p) => p.budgetBits).concat(current ? [current.budgetBits] : []);
  const ys = plotted.map((p) => p.objective).concat(current ? [current.objective] : []);
  const x = scaleLinear()
    .domain([Math.min(...xs), Math.max(...xs)])
    .nice()
    .range([MARGIN.left, width - MARGIN.right]);
  const y = scaleLinear()
    .domain([Math.min(...ys), Math.max(...ys)])
    .nice()
    .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const yTicks = y.ticks(4);
  svg
    .append('g')
    .selectAll('line')
    .data(yTicks)
    .join('line')
    .attr('x1', MARGIN.left)
    .attr('x2', width - MARGIN.right)
    .attr('y1', (t) => y(t))
    .attr('y2', (t) => y(t))
    .attr('stroke', GRID);
  svg
    .append('g')
    .attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`)
    .call(axisBottom(x).ticks(Math.max(3, Math.floor((width - MARGIN.left) / 60))).tickSize(3))
    .call((g) => g.select('.domain').attr('stroke', MUTED));
  svg
    .append('g')
    .attr('transform', `translate(${MARGIN.left},0)`)
    .call(axisLeft(y).tickValues(yTicks).tickFormat((v) => Number(v).toPrecision(3)).tickSize(3))
    .call((g) => g.select('.domain').attr('stroke', MUTED));
  svg.append('text').attr('x', (MARGIN.left + width - MARGIN.right) / 2).attr('y', HEIGHT - 3).attr('text-anchor', 'middle').attr('fill', MUTED).text(xLabel);
  svg.append('text').attr('x', 4).attr('y', 11).attr('fill', MUTED).text(yLabel);

  svg
    .append('path')
    .datum(plotted)
    .attr('fill', 'none')
    .attr('stroke', '#1e6fe6')
    .attr('stroke-width', 1.6)
    .attr('opacity', running ? 0.5 : 1)
    .attr(
      'd',
      line<(typeof plotted)[number]>()
        .x((p) => x(p.budgetBits))
        .y((p) => y(p.objective)),
    );
  const describe = (p: (typeof plotted)[number]) => [
    `budget ${p.budgetBits.toFixed(2)} bits`,
    `objective ${p.objective.toPrecision(5)}`,
    p.gap === null || p.gap <= 1e-9 ? 'proven optimal' : `gap ≤ ${(100 * p.gap).toFixed(2)}%`,
  ];
  svg
    .append('g')
    .selectAll('circle')
    .data(plotted)
    .join('circle')
    .attr('cx', (p) => x(p.budgetBits))
    .attr('cy', (p) => y(p.objective))
    .attr('r', 3)
    .attr('fill', (p) => (p.gap === null || p.gap <= 1e-9 ? '#1e6fe6' : '#ffffff'))
    .attr('stroke', '#1e6fe6')
    .attr('stroke-width', 1.2)
    .on('pointerenter pointermove', (event: PointerEvent, p) => tooltip.show(event, describe(p)))
    .on('pointerleave', () => tooltip.hide())
    .append('title')
    .text((p) => describe(p).join('\n'));
  if (current) {
    const cx = x(current.budgetBits);
    const cy = y(current.objective);
    svg.append('line').attr('x1', cx).attr('x2', cx).attr('y1', MARGIN.top).attr('y2', HEIGHT - MARGIN.bottom).attr('stroke', '#d92d20').attr('stroke-dasharray', '3 2');
    const lines = ['current allocation', `budget ${current.budgetBits.toFixed(2)} bits`, `objective ${current.objective.toPrecision(5)}`];
    svg
      .append('circle')
      .attr('class', 'current')
      .attr('cx', cx)
      .attr('cy', cy)
      .attr('r', 5.5)
      .attr('fill', '#d92d20')
      .attr('stroke', '#fff')
      .attr('stroke-width', 1.5)
      .on('pointerenter pointermove', (event: PointerEvent) => tooltip.show(event, lines))
      .on('pointerleave', () => tooltip.hide())
      .append('title')
      .text(lines.join('\n'));
    svg
      .append('text')
      .attr('x', cx + (cx > width / 2 ? -8 : 8))
      .attr('y', cy - 8)
      .attr('text-anchor', cx > width / 2 ? 'end' : 'start')
      .attr('fill', INK)
      .attr('font-weight', 600)
      .text('current');
  }
}
