import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildEncoder, TINY_ENCODER } from '../../../bench/sam-graph.ts';
import type { OrtModule } from '../onnx/ort.ts';
import { encodeModelBytes } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { calibrate } from './calibration.ts';
import { attentionOutputError, chooseLog2Taus } from './log2-tau.ts';
import { log2Quant } from './quantizers.ts';
import { discoverUnits } from './units.ts';

describe('log2 τ choice', () => {
  it('measures ‖(Q(A) − A)·V‖² by hand on a 1×2 · 2×1 product', () => {
    // A = [0.75, 0.25], V = [2, 4]ᵀ; Q at τ=1 with s=1: 0.75 → 2^-0 = 1 (−log2 0.75 = 0.415 → 0), 0.25 → 0.25.
    const quantize = (x: number) => log2Quant(x, 1, 4, 1);
    expect(attentionOutputError(Float32Array.from([0.75, 0.25]), [1, 2], Float32Array.from([2, 4]), [2, 1], quantize)).toBeCloseTo((0.25 * 2) ** 2, 10);
    expect(() => attentionOutputError(new Float32Array(2), [1, 2], new Float32Array(3), [3, 1], quantize)).toThrow(/do not chain/);
  });

  it('picks, per softmax·v unit, the τ of least output error on real attention maps', async () => {
    const model = buildEncoder(TINY_ENCODER);
    const units = discoverUnits(model);
    const ortModule = ort as unknown as OrtModule;
    const feeds = [{ input_image: new ort.Tensor('float32', new Float32Array(3072).map((_, i) => Math.sin(i * 0.3) * 3), [1, 3, 32, 32]) }];
    const ranges = await calibrate(ortModule, model, units, feeds);
    const taus = await chooseLog2Taus(ortModule, model, units, ranges, feeds, { bits: 3 });
    expect(Object.keys(taus)).toEqual(units.filter((u) => u.role === 'softmax·v').map((u) => u.id));
    // Independent check for one unit: errors of each τ over the full attention map (no row sampling here: 2·16 rows).
    const unit = units.find((u) => u.role === 'softmax·v')!;
    const session = await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, unit.activationInputs)));
    const out = await session.run(feeds[0]);
    const [a, v] = unit.activationInputs.map((n) => out[n]);
    const scale = Math.fround(ranges[`${unit.id}#0`].max);
    const errors = [1, 2, 4].map((tau) => {
      const av = a.data as Float32Array;
      const vv = v.data as Float32Array;
      const [heads, nq, nk] = a.dims;
      const d = v.dims[2];
      let sum = 0;
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < nq; i++)
          for (let j = 0; j < d; j++) {
            let e = 0;
            for (let k = 0; k < nk; k++) e += (log2Quant(av[(h * nq + i) * nk + k], scale, 3, tau) - av[(h * nq + i) * nk + k]) * vv[(h * nk + k) * d + j];
            sum += e * e;
          }
      return sum;
    });
    expect(taus[unit.id]).toBe([1, 2, 4][errors.indexOf(Math.min(...errors))]);
  });
});
