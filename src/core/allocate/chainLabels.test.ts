import { describe, expect, it } from 'vitest';
import { keepBest, Layer } from './chainLabels';

describe('chain search labels', () => {
  it('keepBest keeps the labels of lowest bound in their buckets and order', () => {
    const layer = new Layer(2, 3);
    const rows: [number, number][] = [
      [0, 5],
      [0, 1],
      [2, 4],
      [2, 2],
      [2, 9],
    ];
    rows.forEach((_row, n) => layer.push(n, 10 + n, 20 + n, n));
    layer.bucketStart.set([0, 2, 2, 5]);
    keepBest(layer, Float64Array.from(rows, ([, bound]) => bound), 3, 3);
    expect(layer.length).toBe(3);
    expect(Array.from(layer.cost.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(layer.size.subarray(0, 3))).toEqual([11, 12, 13]);
    expect(Array.from(layer.parent.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(layer.bucketStart)).toEqual([0, 1, 1, 3]);
  });
});
