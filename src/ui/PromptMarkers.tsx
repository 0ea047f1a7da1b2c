import type { BoxPrompt, Prompts } from '../core/sam/types';

/** Clicks and the box drawn in image coordinates (the SVG's viewBox is the image), sized in screen pixels. */
export function PromptMarkers({
  prompts,
  draftBox,
  width,
  height,
  scale,
}: {
  prompts: Prompts;
  draftBox: BoxPrompt | null;
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
