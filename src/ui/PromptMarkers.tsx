import type { BoxPrompt, Prompts } from '../core/sam/types';

/**
 * Clicks, the box and the keyboard's crosshair drawn in image coordinates (the SVG's viewBox is the image),
 * sized in screen pixels.
 */
export function PromptMarkers({
  prompts,
  draftBox,
  crosshair,
  width,
  height,
  scale,
}: {
  prompts: Prompts;
  draftBox: BoxPrompt | null;
  /** Where Enter would put a point, while the image has the keyboard focus. */
  crosshair: { x: number; y: number } | null;
  width: number;
  height: number;
  /** Screen pixels per image pixel, so markers keep their on-screen size. */
  scale: number;
}) {
  const radius = 6 / scale;
  const stroke = 2 / scale;
  return (
    <svg className="stage-layer" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden="true">
      {prompts.box && <BoxOutline box={prompts.box} stroke={stroke} className="box" />}
      {draftBox && <BoxOutline box={draftBox} stroke={stroke} className="box draft" />}
      {prompts.points.map((point, index) => (
        <circle
          key={index}
          cx={point.x}
          cy={point.y}
          r={radius}
          strokeWidth={stroke}
          className={point.positive ? 'marker positive' : 'marker negative'}
          data-testid={point.positive ? 'marker-positive' : 'marker-negative'}
        />
      ))}
      {crosshair && (
        <g className="crosshair" data-testid="crosshair" data-x={crosshair.x} data-y={crosshair.y} strokeWidth={stroke}>
          <circle cx={crosshair.x} cy={crosshair.y} r={radius * 1.6} />
          <line x1={crosshair.x - radius * 3} y1={crosshair.y} x2={crosshair.x - radius} y2={crosshair.y} />
          <line x1={crosshair.x + radius} y1={crosshair.y} x2={crosshair.x + radius * 3} y2={crosshair.y} />
          <line x1={crosshair.x} y1={crosshair.y - radius * 3} x2={crosshair.x} y2={crosshair.y - radius} />
          <line x1={crosshair.x} y1={crosshair.y + radius} x2={crosshair.x} y2={crosshair.y + radius * 3} />
        </g>
      )}
    </svg>
  );
}

function BoxOutline({ box, stroke, className }: { box: BoxPrompt; stroke: number; className: string }) {
  return (
    <rect
      x={Math.min(box.x0, box.x1)}
      y={Math.min(box.y0, box.y1)}
      width={Math.abs(box.x1 - box.x0)}
      height={Math.abs(box.y1 - box.y0)}
      strokeWidth={stroke}
      className={className}
    />
  );
}
