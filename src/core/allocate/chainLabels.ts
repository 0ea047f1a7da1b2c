/** The labels of the chain search (chainSearch.ts): one layer of partial allocations, and the dominance staircase of a bucket. */

/** Growable struct-of-arrays for one layer of labels, grouped by option (bucket), each bucket in cost order. */
export class Layer {
  cost: Float64Array;
  size: Float64Array;
  bops: Float64Array;
  parent: Int32Array;
  length = 0;
  /** Labels of the unit's j-th option are bucketStart[j] .. bucketStart[j+1]−1. */
  readonly bucketStart: Int32Array;

  constructor(capacity: number, options: number) {
    this.cost = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.bops = new Float64Array(capacity);
    this.parent = new Int32Array(capacity);
    this.bucketStart = new Int32Array(options + 1);
  }

  push(cost: number, size: number, bops: number, parent: number): void {
    if (this.length === this.cost.length) this.grow();
    const n = this.length++;
    this.cost[n] = cost;
    this.size[n] = size;
    this.bops[n] = bops;
    this.parent[n] = parent;
  }

  private grow(): void {
    const capacity = this.cost.length * 2 + 16;
    const f = (from: Float64Array) => {
      const to = new Float64Array(capacity);
      to.set(from);
      return to;
    };
    const parent = new Int32Array(capacity);
    parent.set(this.parent);
    this.cost = f(this.cost);
    this.size = f(this.size);
    this.bops = f(this.bops);
    this.parent = parent;
  }
}

/**
 * The Pareto staircase of the labels kept so far in one bucket, in (size, BOPs): sizes increasing, BOPs
 * decreasing. A label is dominated when the step at or below its size uses no more BOPs.
 */
export class Staircase {
  size: Float64Array;
  bops: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.size = new Float64Array(capacity);
    this.bops = new Float64Array(capacity);
  }

  /** Index of the last step with size ≤ s, or −1. */
  private below(s: number): number {
    let low = 0;
    let high = this.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.size[middle] <= s) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  dominates(s: number, o: number): boolean {
    const at = this.below(s);
    return at >= 0 && this.bops[at] <= o;
  }

  /** Adds a step the staircase does not dominate, dropping the steps it covers. */
  insert(s: number, o: number): void {
    if (this.length === this.size.length) {
      const size = new Float64Array(this.length * 2 + 16);
      const bops = new Float64Array(this.length * 2 + 16);
      size.set(this.size);
      bops.set(this.bops);
      this.size = size;
      this.bops = bops;
    }
    let at = this.below(s) + 1;
    // A step of equal size and more BOPs is covered.
    if (at > 0 && this.size[at - 1] === s) at--;
    let end = at;
    while (end < this.length && this.bops[end] >= o) end++;
    const removed = end - at;
    if (removed === 0) {
      this.size.copyWithin(at + 1, at, this.length);
      this.bops.copyWithin(at + 1, at, this.length);
      this.length++;
    } else if (removed > 1) {
      this.size.copyWithin(at + 1, end, this.length);
      this.bops.copyWithin(at + 1, end, this.length);
      this.length -= removed - 1;
    }
    this.size[at] = s;
    this.bops[at] = o;
  }
}

/** The bucket (option position within its unit) that label n of `layer` belongs to. */
export function bucketOf(layer: Layer, n: number): number {
  let j = 0;
  while (layer.bucketStart[j + 1] <= n) j++;
  return j;
}

/** Keeps the `beam` labels of `layer` with the lowest bounds (ties may keep a few more), in their order. */
export function keepBest(layer: Layer, bounds: Float64Array, beam: number, options: number): void {
  const sorted = bounds.slice(0, layer.length).sort();
  const threshold = sorted[beam - 1];
  let at = 0;
  let j = 0;
  const starts = Int32Array.from(layer.bucketStart);
  for (let n = 0; n < layer.length; n++) {
    while (j < options && starts[j] <= n) layer.bucketStart[j++] = at;
    if (bounds[n] > threshold) continue;
    layer.cost[at] = layer.cost[n];
    layer.size[at] = layer.size[n];
    layer.bops[at] = layer.bops[n];
    layer.parent[at] = layer.parent[n];
    at++;
  }
  while (j <= options) layer.bucketStart[j++] = at;
  layer.length = at;
}
