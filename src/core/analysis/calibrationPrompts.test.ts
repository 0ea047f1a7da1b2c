import { describe, expect, it } from 'vitest';
import { calibrationPrompts, gridPoints, promptsKey } from './calibrationPrompts';
import { decoderPromptRuns, singleMaskPrompts } from './calibrationFeeds';

describe('calibration prompts', () => {
  it('places a k×k grid at cell centres', () => {
    expect(gridPoints(2, 100, 40)).toEqual([
      { kind: 'point', x: 25, y: 10, positive: true },
      { kind: 'point', x: 75, y: 10, positive: true },
      { kind: 'point', x: 25, y: 30, positive: true },
      { kind: 'point', x: 75, y: 30, positive: true },
    ]);
  });

  it('prefers ground-truth boxes, then clicks, then the grid, spread evenly up to the limit', () => {
    const boxes = Array.from({ length: 6 }, (_, k) => ({ x0: k, y0: 0, x1: k + 1, y1: 1 }));
    expect(calibrationPrompts({ width: 10, height: 10, boxes }, 3, 4).map((p) => (p.kind === 'box' ? p.x0 : -1))).toEqual([0, 2, 4]);
    const clicks = [{ x: 1, y: 2, positive: false }];
    expect(calibrationPrompts({ width: 10, height: 10, clicks }, 16, 4)).toEqual([{ kind: 'point', x: 1, y: 2, positive: false }]);
    // 16 grid points, 4 wanted: indices 0, 4, 8, 12 = the first column.
    const grid = calibrationPrompts({ width: 40, height: 40 }, 4, 4);
    expect(grid.map((p) => (p.kind === 'point' ? [p.x, p.y] : []))).toEqual([
      [5, 5],
      [5, 15],
      [5, 25],
      [5, 35],
    ]);
    expect(promptsKey(grid)).toBe('p5,5;p5,15;p5,25;p5,35');
    expect(() => calibrationPrompts({ width: 0, height: 10 }, 4, 4)).toThrow(/positive/);
  });

  it('batches clicks and boxes in one Meta decoder feed, scaled to the model frame', () => {
    // A 512×256 image seen by a 256 encoder: scale 0.5 on both axes.
    const plan = decoderPromptRuns(
      [
        { kind: 'point', x: 100, y: 50, positive: true },
        { kind: 'box', x0: 300, y0: 200, x1: 20, y1: 40 },
      ],
      { width: 512, height: 256 },
      { family: 'meta', inputNames: ['point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'], inputSize: 256, maskInputSize: 64, promptBatch: null },
    );
    expect(plan.runs).toHaveLength(1);
    const feeds = plan.runs[0];
    expect(feeds.point_coords.dims).toEqual([2, 2, 2]);
    expect(Array.from(feeds.point_coords.data as Float32Array)).toEqual([50, 25, 0, 0, 10, 20, 150, 100]);
    expect(Array.from(feeds.point_labels.data as Float32Array)).toEqual([1, -1, 2, 3]);
    expect(feeds.mask_input.dims).toEqual([2, 1, 64, 64]);
    expect(Array.from(feeds.orig_im_size.data as Float32Array)).toEqual([256, 512]);
    expect(singleMaskPrompts([{ kind: 'point', x: 0, y: 0, positive: true }, { kind: 'box', x0: 0, y0: 0, x1: 1, y1: 1 }])).toEqual([false, true]);
  });

  it('splits the prompts into one run each when the decoder fixes its prompt batch at 1 (official exports)', () => {
    const prompts = [
      { kind: 'point', x: 100, y: 50, positive: false },
      { kind: 'box', x0: 300, y0: 200, x1: 20, y1: 40 },
      { kind: 'point', x: 10, y: 10, positive: true },
    ] as const;
    const io = { family: 'meta', inputNames: ['point_coords', 'point_labels', 'mask_input'], inputSize: 256, maskInputSize: 64 } as const;
    const plan = decoderPromptRuns(prompts, { width: 512, height: 256 }, { ...io, promptBatch: 1 });
    expect(plan.runs).toHaveLength(3);
    expect(plan.promptAxis).toBe(0);
    expect(plan.runs.map((run) => run.point_coords.dims)).toEqual([[1, 2, 2], [1, 2, 2], [1, 2, 2]]);
    expect(plan.runs.map((run) => Array.from(run.point_labels.data as Float32Array))).toEqual([[0, -1], [2, 3], [1, -1]]);
    expect(plan.runs[1].mask_input.dims).toEqual([1, 1, 64, 64]);
    // The runs hold exactly the rows of the batched feed, in order.
    const batched = decoderPromptRuns(prompts, { width: 512, height: 256 }, { ...io, promptBatch: null }).runs[0];
    expect(plan.runs.flatMap((run) => Array.from(run.point_coords.data as Float32Array))).toEqual(Array.from(batched.point_coords.data as Float32Array));
    expect(() => decoderPromptRuns(prompts, { width: 512, height: 256 }, { ...io, promptBatch: 2 })).toThrow('takes exactly 2 prompts per run');
  });
});
