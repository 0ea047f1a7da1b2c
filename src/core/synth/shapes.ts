/**
 * Object families of the procedural scenes and their rasterization to inside-masks.
 * Parameter ranges follow tools/demo-model/README.md ("Scene recipe"), which the training
 * generator (tools/demo-model/synth_shapes.py) implements independently.
 */
import type { Random } from './random.ts';

export const SHAPE_KINDS = ['ellipse', 'polygon', 'star', 'ring', 'blob', 'stroke'] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/** A shape in its own frame: `inside(u, v)` with (u, v) the rotated offset from the centre. */
export interface Shape {
  kind: ShapeKind;
  centerX: number;
  centerY: number;
  /** Rotation in radians: u = cos·dx + sin·dy, v = −sin·dx + cos·dy. */
  rotation: number;
  /** Size scale in pixels (semi-axis, circumradius or half length). */
  radius: number;
  inside(u: number, v: number): boolean;
}

const STROKE_SEGMENTS = 8;

/** Even-odd crossing test against a closed polygon given as flat [x0,y0,x1,y1,...]. */
export function insidePolygon(u: number, v: number, vertices: readonly number[]): boolean {
  let inside = false;
  const n = vertices.length / 2;
  for (let i = 0; i < n; i++) {
    const ax = vertices[2 * i];
    const ay = vertices[2 * i + 1];
    const j = (i + 1) % n;
    const bx = vertices[2 * j];
    const by = vertices[2 * j + 1];
    if (ay > v !== by > v && u < ax + ((v - ay) * (bx - ax)) / (by - ay)) inside = !inside;
  }
  return inside;
}

/** Squared distance from (u, v) to the segment a→b. */
function segmentDistance2(u: number, v: number, ax: number, ay: number, bx: number, by: number): number {
  const ex = bx - ax;
  const ey = by - ay;
  const h = Math.min(1, Math.max(0, ((u - ax) * ex + (v - ay) * ey) / (ex * ex + ey * ey + 1e-9)));
  const dx = u - ax - h * ex;
  const dy = v - ay - h * ey;
  return dx * dx + dy * dy;
}

function insideFunction(kind: ShapeKind, radius: number, random: Random): (u: number, v: number) => boolean {
  switch (kind) {
    case 'ellipse': {
      const b = radius * random.uniform(0.4, 1);
      return (u, v) => (u / radius) ** 2 + (v / b) ** 2 <= 1;
    }
    case 'ring': {
      const b = radius * random.uniform(0.6, 1);
      const inner = random.uniform(0.45, 0.75);
      return (u, v) => {
        const norm = (u / radius) ** 2 + (v / b) ** 2;
        return norm <= 1 && norm >= inner * inner;
      };
    }
    case 'polygon': {
      const n = random.int(3, 8);
      const vertices: number[] = [];
      for (let i = 0; i < n; i++) {
        const angle = (2 * Math.PI * (i + random.uniform(-0.3, 0.3))) / n;
        const r = radius * random.uniform(0.7, 1);
        vertices.push(r * Math.cos(angle), r * Math.sin(angle));
      }
      return (u, v) => insidePolygon(u, v, vertices);
    }
    case 'star': {
      const points = random.int(4, 7);
      const innerRatio = random.uniform(0.35, 0.6);
      const vertices: number[] = [];
      for (let j = 0; j < 2 * points; j++) {
        const angle = (Math.PI * j) / points;
        const r = j % 2 === 1 ? radius * innerRatio : radius;
        vertices.push(r * Math.cos(angle), r * Math.sin(angle));
      }
      return (u, v) => insidePolygon(u, v, vertices);
    }
    case 'blob': {
      // Radius modulated by harmonics 2..4 with amplitudes up to 0.18.
      const harmonics = [2, 3, 4].map((k) => ({ k, amp: random.uniform(0, 0.18), phase: random.uniform(0, 2 * Math.PI) }));
      return (u, v) => {
        const phi = Math.atan2(v, u);
        const wobble = harmonics.reduce((sum, h) => sum + h.amp * Math.cos(h.k * phi + h.phase), 0);
        return Math.hypot(u, v) <= radius * (1 + wobble);
      };
    }
    case 'stroke': {
      // A quadratic Bézier from (−r, 0) to (r, 0) through a control point bent sideways.
      const bend = random.uniform(-0.8, 0.8) * radius;
      const halfWidth = random.uniform(5, 12) / 2;
      const points: number[] = [];
      for (let k = 0; k <= STROKE_SEGMENTS; k++) {
        const t = k / STROKE_SEGMENTS;
        points.push((1 - t) ** 2 * -radius + t * t * radius, 2 * (1 - t) * t * bend);
      }
      return (u, v) => {
        for (let k = 0; k < STROKE_SEGMENTS; k++) {
          const d2 = segmentDistance2(u, v, points[2 * k], points[2 * k + 1], points[2 * k + 2], points[2 * k + 3]);
          if (d2 <= halfWidth * halfWidth) return true;
        }
        return false;
      };
    }
  }
}

/** Draws a random shape of a random family placed in a size×size canvas. */
export function randomShape(random: Random, size: number): Shape {
  const kind = SHAPE_KINDS[random.int(0, SHAPE_KINDS.length - 1)];
  let radius = random.uniform(12, 60);
  if (kind === 'ring') radius = Math.max(radius, 20); // keeps the band at least ~5 px wide
  const centerX = random.uniform(0.1 * size, 0.9 * size);
  const centerY = random.uniform(0.1 * size, 0.9 * size);
  const rotation = random.uniform(0, 2 * Math.PI);
  return { kind, centerX, centerY, rotation, radius, inside: insideFunction(kind, radius, random) };
}

/** Inside-mask (1 = inside) of a shape on a width×height grid, sampled at pixel indices. */
export function rasterizeShape(shape: Shape, width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const c = Math.cos(shape.rotation);
  const s = Math.sin(shape.rotation);
  // Only pixels within the bounding circle can be inside (all families stay within 1.6 r).
  const reach = shape.radius * 1.6 + 8;
  const y0 = Math.max(0, Math.floor(shape.centerY - reach));
  const y1 = Math.min(height - 1, Math.ceil(shape.centerY + reach));
  const x0 = Math.max(0, Math.floor(shape.centerX - reach));
  const x1 = Math.min(width - 1, Math.ceil(shape.centerX + reach));
  for (let y = y0; y <= y1; y++) {
    const dy = y - shape.centerY;
    for (let x = x0; x <= x1; x++) {
      const dx = x - shape.centerX;
      if (shape.inside(c * dx + s * dy, -s * dx + c * dy)) mask[y * width + x] = 1;
    }
  }
  return mask;
}
