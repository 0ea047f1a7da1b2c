import { useCallback, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useElementSize } from '../useElementSize';
import './charts.css';

/** Lines of a tooltip and where it points, relative to the chart's frame. */
interface TooltipState {
  x: number;
  y: number;
  lines: string[];
  frameWidth: number;
}

export interface ChartTooltip {
  /** Shows lines next to the pointer (or next to a focused element for keyboard users). */
  show(event: { clientX: number; clientY: number } | Element, lines: string[]): void;
  hide(): void;
}

/**
 * What a d3 chart needs from React: a frame whose width it follows, the <svg> it draws into, and a tooltip.
 * d3 owns everything inside the <svg>; React owns the frame, the title and the tooltip.
 */
export function useChart(): {
  frameRef: RefObject<HTMLDivElement | null>;
  svgRef: RefObject<SVGSVGElement | null>;
  width: number;
  tooltip: ChartTooltip;
  tooltipState: TooltipState | null;
} {
  const frameRef = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const { width } = useElementSize(frameRef);
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
    setTooltipState({ x: point.clientX - box.left, y: point.clientY - box.top, lines, frameWidth: box.width });
  }, []);
  const hide = useCallback(() => setTooltipState(null), []);
  // Stable (show and hide never change): charts list it in their effect dependencies.
  const tooltip = useMemo<ChartTooltip>(() => ({ show, hide }), [show, hide]);
  return { frameRef, svgRef, width, tooltip, tooltipState };
}

/** The chart's box: title, optional legend line, the drawing (or an empty state) and the tooltip. */
export function ChartFrame({
  title,
  testId,
  frameRef,
  tooltipState,
  empty,
  note,
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
  children: ReactNode;
}) {
  const flip = tooltipState !== null && tooltipState.x > tooltipState.frameWidth / 2;
  return (
    <figure className="chart" data-testid={testId} data-empty={empty ? 'true' : 'false'}>
      <figcaption className="chart-title">
        <span>{title}</span>
        {note && <span className="chart-note">{note}</span>}
      </figcaption>
      <div className="chart-frame" ref={frameRef}>
        {empty ? <div className="chart-empty">{empty}</div> : children}
        {tooltipState && !empty && (
          <div
            className="chart-tooltip"
            role="tooltip"
            style={{
              top: Math.max(0, tooltipState.y - 8),
              left: flip ? undefined : tooltipState.x + 12,
              right: flip ? tooltipState.frameWidth - tooltipState.x + 12 : undefined,
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
