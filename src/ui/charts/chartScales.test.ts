import { describe, expect, it } from 'vitest';
import {
  DEPTH_MARGIN,
  MIN_UNIT_PX,
  depthChartWidth,
  FP_COLOUR,
  decadeTicks,
  depthScale,
  finiteExtent,
  formatCount,
  formatDecade,
  logDomain,
  partGroups,
  sectionOf,
  shortPartName,
  unitLabel,
  widthColour,
} from './chartScales';

const unit = (part: string, graph: 'encoder' | 'decoder') => ({ part, graph });

describe('part groups along depth', () => {
  it('groups consecutive units of one part and names them shortly', () => {
    const units = [
      unit('encoder block 0', 'encoder'),
      unit('encoder block 0', 'encoder'),
      unit('encoder block 1', 'encoder'),
      unit('neck', 'encoder'),
      unit('neck', 'encoder'),
      unit('decoder layer 0', 'decoder'),
      unit('final attention', 'decoder'),
      unit('decoder layer 0', 'decoder'),
    ];
    expect(partGroups(units)).toEqual([
      { part: 'encoder block 0', short: 'E0', section: 'encoder', start: 0, end: 2 },
      { part: 'encoder block 1', short: 'E1', section: 'encoder', start: 2, end: 3 },
      { part: 'neck', short: 'neck', section: 'neck', start: 3, end: 5 },
      { part: 'decoder layer 0', short: 'D0', section: 'decoder', start: 5, end: 6 },
      { part: 'final attention', short: 'final', section: 'decoder', start: 6, end: 7 },
      // a part seen again after another one starts a new group: groups follow execution order
      { part: 'decoder layer 0', short: 'D0', section: 'decoder', start: 7, end: 8 },
    ]);
    expect(shortPartName('encoder block 11')).toBe('E11');
    expect(shortPartName('encoder stage 2 block 1')).toBe('S2B1');
    expect(shortPartName('encoder stage 1 downsample')).toBe('S1↓');
    expect(shortPartName('other')).toBe('other');
    expect(sectionOf(unit('neck', 'encoder'))).toBe('neck');
    expect(unitLabel({ part: 'neck', role: 'neck.conv1' })).toBe('neck · neck.conv1');
  });

  it('gives every unit a band between the shared margins', () => {
    const x = depthScale(4, 456, 0);
    // 400 px of plot for 4 units: 100 px each from the left margin.
    expect(x.bandwidth()).toBeCloseTo(100, 9);
    expect(x(0)).toBe(DEPTH_MARGIN.left);
    expect(x(3)).toBeCloseTo(DEPTH_MARGIN.left + 300, 9);
  });
});

describe('log domains and ticks', () => {
  it('widens to whole decades, skipping zero, negative and unmeasured values', () => {
    expect(logDomain([2.3e-5, 0, NaN, -1, 0.11])).toEqual([1e-5, 1]);
    expect(logDomain([0.02])).toEqual([1e-2, 1e-1]);
    expect(logDomain([0.01])).toEqual([1e-3, 0.1]);
    expect(logDomain([0, NaN])).toBeNull();
  });

  it('puts ticks on powers of ten, thinned to the count', () => {
    const ticks = decadeTicks([1e-10, 1e-2], 5);
    expect(ticks.map((t) => Math.round(Math.log10(t)))).toEqual([-10, -8, -6, -4, -2]);
    expect(decadeTicks([1e-3, 1], 5).map(formatDecade)).toEqual(['1e-3', '1e-2', '1e-1', '1']);
  });

  it('finds the finite extent', () => {
    expect(finiteExtent([3, NaN, -2, Infinity, 7])).toEqual([-2, 7]);
    expect(finiteExtent([NaN])).toBeNull();
  });
});

describe('colours and formats', () => {
  it('colours widths on a fixed scale: narrower is lighter, FP grey', () => {
    const lightness = (colour: string) => {
      const [r, g, b] = colour.match(/\d+/g)!.map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const shades = [2, 3, 4, 5, 6, 7, 8].map((b) => lightness(widthColour(b)));
    for (let k = 1; k < shades.length; k++) expect(shades[k]).toBeLessThan(shades[k - 1]);
    expect(widthColour(null)).toBe(FP_COLOUR);
    expect(widthColour(32)).toBe(FP_COLOUR);
  });

  it('formats counts with SI prefixes', () => {
    expect(formatCount(76800)).toBe('76.8k');
    expect(formatCount(19660800)).toBe('19.7M');
    expect(formatCount(null)).toBe('—');
  });
});

describe('depthChartWidth', () => {
  it('keeps the frame width while every unit gets at least MIN_UNIT_PX, and grows past it for more units', () => {
    // The demo SAM's 84 units fit a 600 px frame at 6.5 px each.
    expect(depthChartWidth(600, 84)).toBe(600);
    // ViT-H's 32 blocks give ~230 units: 5 px each plus the margins, wider than the frame, so it scrolls.
    expect(depthChartWidth(600, 230)).toBe(46 + 10 + 230 * 5);
    const x = depthScale(230, depthChartWidth(600, 230), 0);
    expect(x.bandwidth()).toBeCloseTo(MIN_UNIT_PX, 6);
    expect(DEPTH_MARGIN.left + DEPTH_MARGIN.right).toBe(56);
  });
  it('draws nothing wider while the frame is not measured yet', () => {
    expect(depthChartWidth(0, 230)).toBe(0);
  });
});
