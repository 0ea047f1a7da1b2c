import { describe, expect, it } from 'vitest';
import type { PlainTensor } from './types';
import { metaPromptFeeds, promptPointList, scaleToModelFrame, transformersPromptFeeds } from './promptFeeds';

const values = (tensor: PlainTensor): Array<number | bigint> => Array.from(tensor.data as ArrayLike<number | bigint>);
const image = { width: 640, height: 480 };
const allMetaInputs = ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'];

describe('prompt transforms', () => {
  it('scales by the rounded resized size per axis (3×2 → 4×3: ×4/3, ×1.5)', () => {
    expect(scaleToModelFrame([[3, 2], [1.5, 1]], { width: 3, height: 2 }, 4)).toEqual([
      [4, 3],
      [2, 1.5],
    ]);
  });

  it('orders clicks then box corners, box normalized to top-left/bottom-right', () => {
    const list = promptPointList({ points: [{ x: 5, y: 6, positive: false }], box: { x0: 110, y0: 220, x1: 10, y1: 20 } });
    expect(list).toEqual({ coords: [[5, 6], [10, 20], [110, 220]], labels: [0, 2, 3] });
  });

  it('asks for a prompt when there is none', () => {
    expect(() => promptPointList({ points: [], box: null })).toThrow('Add a point or a box before asking for a mask.');
  });
});

describe('Meta decoder feeds', () => {
  it('appends the padding point (0,0,−1) when there is no box', () => {
    const feeds = metaPromptFeeds({ points: [{ x: 320, y: 240, positive: true }], box: null }, image, 1024, {
      inputNames: allMetaInputs,
      maskInputSize: 256,
    });
    expect(feeds.point_coords.dims).toEqual([1, 2, 2]);
    expect(values(feeds.point_coords)).toEqual([512, 384, 0, 0]);
    expect(values(feeds.point_labels)).toEqual([1, -1]);
    expect(feeds.mask_input.dims).toEqual([1, 1, 256, 256]);
    expect((feeds.mask_input.data as Float32Array).every((v) => v === 0)).toBe(true);
    expect(values(feeds.has_mask_input)).toEqual([0]);
    expect(values(feeds.orig_im_size)).toEqual([480, 640]);
  });

  it('sends a box as corners labelled 2 and 3 without padding', () => {
    const feeds = metaPromptFeeds({ points: [], box: { x0: 10, y0: 20, x1: 110, y1: 220 } }, image, 1024, {
      inputNames: allMetaInputs,
      maskInputSize: 64,
    });
    expect(values(feeds.point_coords)).toEqual([16, 32, 176, 352]);
    expect(values(feeds.point_labels)).toEqual([2, 3]);
    expect(feeds.mask_input.dims).toEqual([1, 1, 64, 64]);
  });

  it('feeds only the optional inputs the decoder has', () => {
    const feeds = metaPromptFeeds({ points: [{ x: 1, y: 1, positive: true }], box: null }, image, 1024, {
      inputNames: ['image_embeddings', 'point_coords', 'point_labels'],
      maskInputSize: 256,
    });
    expect(Object.keys(feeds).sort()).toEqual(['point_coords', 'point_labels']);
  });
});

describe('transformers.js decoder feeds', () => {
  it('sends [1,1,N,2] points and int64 labels, no padding point', () => {
    const feeds = transformersPromptFeeds({ points: [{ x: 320, y: 240, positive: true }, { x: 0, y: 480, positive: false }], box: null }, image, 1024);
    expect(feeds.input_points.dims).toEqual([1, 1, 2, 2]);
    expect(values(feeds.input_points)).toEqual([512, 384, 0, 768]);
    expect(feeds.input_labels.type).toBe('int64');
    expect(values(feeds.input_labels)).toEqual([1n, 0n]);
  });
});
