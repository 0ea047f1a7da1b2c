import { range, scaleLinear, type Selection } from 'd3';
import { useEffect } from 'react';
import type { UnitLock } from '../../core/allocate';
import { ChartFrame, useChart, type ChartTooltip } from './ChartFrame';
import { FP_COLOUR, depthScale, formatCount, formatWidth, partGroups, unitLabel, widthColour, type ChartUnit } from './chartScales';
import { INK, MUTED, drawPartBands, drawSwatches, drawValueAxis, prepareSvg } from './svgParts';

export interface AllocationChartProps {
  units: readonly ChartUnit[];
  /** Width per unit as solved (full-precision locks at 16/32 bits); null when there is no allocation to show. */
  bits: readonly number[] | null;
  locks: readonly (UnitLock | null | undefined)[];
  candidates: readonly number[];
  /** The bars answer an older request while a newer one is being solved: drawn faded. */
  stale: boolean;
  /** A short line drawn in place of the bars when there are none ("No allocation fits these budgets."). */
  emptyReason?: string | null;
  /** Click or Enter on a unit's column: the caller cycles its lock. */
  onCycleLock?: (unitId: string) => void;
  height?: number;
}

const MARGIN = { top: 24, bottom: 18 };

/**
 * The allocation: one bar per unit along depth, height and colour by bit-width, full-precision units grey to
 * the top. Each column is a button: click (or Enter) cycles the unit's lock free → fixed → FP → free; locked
 * units carry a marker above their bar.
 */
export function AllocationChart({ units, bits, locks, candidates, stale, emptyReason, onCycleLock, height = 160 }: AllocationChartProps) {
  const { frameRef, svgRef, width, wide, tooltip, tooltipState } = useChart(units.length);
  const empty = units.length === 0 ? (emptyReason ?? 'Run Analyze first: the allocation needs importance.') : null;
  useEffect(() => {
    if (!svgRef.current || width === 0 || empty) return;
    draw(svgRef.current, { units, bits, locks, candidates, stale, emptyReason, onCycleLock, height, width, tooltip });
  }, [svgRef, units, bits, locks, candidates, stale, emptyReason, onCycleLock, height, width, empty, tooltip]);
  return (
    <ChartFrame
      title="Allocation: bits per unit"
      testId="allocation-chart"
      frameRef={frameRef}
      tooltipState={tooltipState}
      wide={wide}
      empty={empty}
      note="click a column to lock it: fixed → FP → free"
    >
      <svg
        ref={svgRef}
        data-chart="allocation"
        className={stale ? 'chart-stale' : undefined}
        data-stale={stale ? 'true' : 'false'}
        data-bits={bits ? bits.join(',') : ''}
        style={{ height }}
      />
    </ChartFrame>
  );
}

function lockText(lock: UnitLock | null | undefined, bits: number | null): string {
  if (!lock) return `${formatWidth(bits)}, free — click to fix it at this width`;
  if (lock.kind === 'fixed') return `fixed at ${formatWidth(lock.bits)} — click to keep it at full precision`;
  return `full precision (FP${lock.bits}) — click to free it`;
}

function draw(element: SVGSVGElement, props: AllocationChartProps & { width: number; height: number; tooltip: ChartTooltip }): void {
  const { units, bits, locks, candidates, stale, emptyReason, onCycleLock, width, height, tooltip } = props;
  // Redrawing replaces the columns: keep keyboard focus on the same unit's column.
  const active = element.ownerDocument.activeElement;
  const focusedUnit = active && element.contains(active) ? active.getAttribute('data-unit') : null;
  const svg = prepareSvg(element, width, height, `Bit-width of ${units.length} units${stale ? ' (updating)' : ''}`);
  const x = depthScale(units.length, width);
  const bottom = height - MARGIN.bottom;
  const fixedWidths = locks.flatMap((lock) => (lock?.kind === 'fixed' ? [lock.bits] : []));
  const yMax = Math.max(...candidates, ...fixedWidths, 2) + 1;
  const y = scaleLinear().domain([0, yMax]).range([bottom, MARGIN.top]);
  drawPartBands(svg, partGroups(units), x, MARGIN.top, bottom);

  const ticks = range(0, yMax + 1, yMax > 10 ? 2 : 1);
  drawValueAxis(svg, x, y, ticks, String, ticks.slice(1));
  svg.append('text').attr('x', 4).attr('y', MARGIN.top - 4).attr('fill', MUTED).text('bits');

  const isFp = (i: number) => locks[i]?.kind === 'fp';
  const shownBits = (i: number): number | null => (bits ? (isFp(i) ? null : bits[i]) : null);
  if (bits) {
    svg
      .append('g')
      .attr('class', 'bars')
      .attr('opacity', stale ? 0.45 : 1)
      .selectAll('rect')
      .data(units.map((_, i) => i))
      .join('rect')
      .attr('x', (i) => x(i) ?? 0)
      .attr('width', x.bandwidth())
      .attr('y', (i) => (isFp(i) ? y(yMax) : y(Math.min(bits[i], yMax))))
      .attr('height', (i) => bottom - (isFp(i) ? y(yMax) : y(Math.min(bits[i], yMax))))
      .attr('fill', (i) => widthColour(shownBits(i)))
      .attr('stroke', (i) => (locks[i] && x.bandwidth() >= 3 ? INK : 'none'))
      .attr('stroke-width', 0.8);
  } else if (emptyReason) {
    svg
      .append('text')
      .attr('class', 'no-allocation')
      .attr('x', (x.range()[0] + x.range()[1]) / 2)
      .attr('y', (MARGIN.top + bottom) / 2)
      .attr('text-anchor', 'middle')
      .attr('fill', MUTED)
      .attr('font-size', 11)
      .text(emptyReason);
  }

  // Lock markers: a small triangle above each locked column.
  svg
    .append('g')
    .attr('class', 'locks')
    .selectAll('path')
    .data(units.map((_, i) => i).filter((i) => locks[i]))
    .join('path')
    .attr('d', (i) => {
      const cx = (x(i) ?? 0) + x.bandwidth() / 2;
      const half = Math.max(2.5, Math.min(4, x.bandwidth() / 2 + 1));
      return `M${cx - half},${MARGIN.top - 8} L${cx + half},${MARGIN.top - 8} L${cx},${MARGIN.top - 2} Z`;
    })
    .attr('fill', (i) => (isFp(i) ? FP_COLOUR : INK));

  const describe = (i: number) => [
    unitLabel(units[i]),
    lockText(locks[i], shownBits(i)),
    `params ${formatCount(units[i].params ?? null)} · MACs ${formatCount(units[i].macs ?? null)}`,
  ];
  const columns: Selection<SVGRectElement, number, SVGGElement, unknown> = svg
    .append('g')
    .attr('class', 'columns')
    .selectAll<SVGRectElement, number>('rect')
    .data(units.map((_, i) => i))
    .join('rect');
  columns
    .attr('x', (i) => (x(i) ?? 0) - (x.step() - x.bandwidth()) / 2)
    .attr('width', x.step())
    .attr('y', MARGIN.top - 10)
    .attr('height', bottom - MARGIN.top + 10)
    .attr('fill', 'transparent')
    .attr('cursor', onCycleLock ? 'pointer' : 'default')
    .attr('tabindex', onCycleLock ? 0 : null)
    .attr('role', onCycleLock ? 'button' : null)
    .attr('data-unit', (i) => units[i].id)
    .attr('data-lock', (i) => locks[i]?.kind ?? 'free')
    .attr('data-bits', (i) => String(shownBits(i) ?? 'FP'))
    .attr('aria-label', (i) => describe(i).slice(0, 2).join(': '))
    .on('pointerenter pointermove', (event: PointerEvent, i) => tooltip.show(event, describe(i)))
    .on('pointerleave', () => tooltip.hide())
    .on('focus', function (this: SVGRectElement, _event: FocusEvent, i) {
      tooltip.show(this, describe(i));
    })
    .on('blur', () => tooltip.hide())
    .on('click', (_event: MouseEvent, i) => onCycleLock?.(units[i].id))
    .on('keydown', (event: KeyboardEvent, i) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      onCycleLock?.(units[i].id);
    });
  columns.append('title').text((i) => describe(i).join('\n'));
  if (focusedUnit) columns.filter((i) => units[i].id === focusedUnit).node()?.focus();

  const legendWidths = [...new Set([...candidates, ...fixedWidths])].sort((a, b) => a - b);
  drawSwatches(
    svg,
    [
      ...legendWidths.map((b) => ({ label: `${b}`, colour: widthColour(b) })),
      { label: 'FP', colour: FP_COLOUR },
      { label: 'locked ▼', colour: INK, outline: true },
    ],
    x.range()[0],
    10,
  );
}
