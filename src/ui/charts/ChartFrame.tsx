import { useCallback, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useElementSize } from '../useElementSize';
import { depthChartWidth } from './chartScales';
import './charts.css';

/** Lines of a tooltip and where it points, relative to the chart's drawing (which may scroll in its frame). */
interface TooltipState {
  x: number;
  y: number;
  lines: string[];
  /** Whether the point is in the right half of what is in view: the tooltip then opens to its left. */
  flip: boolean;
}

export interface ChartTooltip {
  /** Shows lines next to the pointer (or next to a focused element for keyboard users). */
  show(event: { clientX: number; clientY: number } | Element, lines: string[]): void;
  hide(): void;
}

/**
 * What a d3 chart needs from React: a frame whose width it follows, the <svg> it draws into, and a tooltip.
 * d3 owns everything inside the <svg>; React owns the frame, the title and the tooltip. A depth chart passes
 * its unit count: with many units it is drawn wider than the frame (`wide`), and the frame scrolls.
 */
export function useChart(depthUnits = 0): {
  frameRef: RefObject<HTMLDivElement | null>;
  svgRef: RefObject<SVGSVGElement | null>;
  width: number;
  wide: boolean;
  tooltip: ChartTooltip;
  tooltipState: TooltipState | null;
} {
  const frameRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const { width: frameWidth } = useElementSize(frameRef);
  const width = depthChartWidth(frameWidth, depthUnits);
  const [tooltipState, setTooltipState] = useState<TooltipState | null>(null);
  const show = useCallback((at: { clientX: number; clientY: number } | Element, lines: string[]) => {
    const frame = frameRef.current;
    if (!frame) return;
    const box = frame.getBoundingClientRect();
    let point = at as { clientX: number; clientY: number };
    if (at instanceof Element) {
      const target = at.getBoundingClientRect();
      point = { clientX: target.left + target.width / 2, clientY: target.top };
    }
    const inView = point.clientX - box.left;
    setTooltipState({ x: inView + frame.scrollLeft, y: point.clientY - box.top, lines, flip: inView > box.width / 2 });
  }, []);
  const hide = useCallback(() => setTooltipState(null), []);
  // Stable (show and hide never change): charts list it in their effect dependencies.
  const tooltip = useMemo<ChartTooltip>(() => ({ show, hide }), [show, hide]);
  return { frameRef, svgRef, width, wide: width > frameWidth, tooltip, tooltipState };
}

/** The chart's box: title, optional legend line, the drawing (or an empty state) and the tooltip. */
export function ChartFrame({
  title,
  testId,
  frameRef,
  tooltipState,
  empty,
  note,
  wide = false,
  children,
}: {
  title: string;
  testId: string;
  frameRef: RefObject<HTMLDivElement | null>;
  tooltipState: TooltipState | null;
  /** When set, shown instead of the drawing (the frame keeps its size so the layout does not jump). */
  empty?: string | null;
  /** A line under the title: what the marks mean, units. */
  note?: ReactNode;
  /** The drawing is wider than the frame (useChart's `wide`): the frame scrolls sideways. */
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <figure className="chart" data-testid={testId} data-empty={empty ? 'true' : 'false'}>
      <figcaption className="chart-title">
        <span>{title}</span>
        {note && <span className="chart-note">{note}</span>}
      </figcaption>
      <div className={`chart-frame${wide ? ' chart-frame-wide' : ''}`} ref={frameRef} tabIndex={wide ? 0 : undefined} aria-label={wide ? `${title}, scrolls sideways` : undefined}>
        {empty ? <div className="chart-empty">{empty}</div> : children}
        {tooltipState && !empty && (
          <div
            className="chart-tooltip"
            role="tooltip"
            style={{
              top: Math.max(0, tooltipState.y - 8),
              left: tooltipState.flip ? tooltipState.x - 12 : tooltipState.x + 12,
              transform: tooltipState.flip ? 'translateX(-100%)' : undefined,
            }}
          >
            {tooltipState.lines.map((line, i) => (
              <div key={i} className={i === 0 ? 'chart-tooltip-head' : undefined}>
                {line}
              </div>
            ))}
          </div>
        )}
      </div>
    </figure>
  );
}
