import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildEncoder, TINY_ENCODER } from '../../../bench/sam-graph.ts';
import type { OrtModule } from '../onnx/ort.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig, resolveWidthCalibration, siteKey, type ActivationRanges } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { chooseLog2Taus, chooseLog2TausPerWidth } from './log2-tau.ts';
import { buildParametricModel } from './parametric.ts';
import { activationParams } from './quantizers.ts';
import { ActivationSampler, mseActivationRange, squaredQuantError } from './range-search.ts';
import { discoverUnits } from './units.ts';
import { createReferenceSession, verifyExport } from './verify.ts';

const ortModule = ort as unknown as OrtModule;

describe('range search per width', () => {
  it('squared error on a grid, by hand', () => {
    // [0, 3] at 2 bits: scale 1, zero point 0; 0.4 → 0, 1.6 → 2, 5 → clipped to 3.
    expect(squaredQuantError(Float32Array.from([0.4, 1.6, 5]), 0, 3, 2)).toBeCloseTo(0.16 + 0.16 + 4, 6);
  });

  it('widens toward the extremes when a rare outlier dominates the error, and stays put when rounding does', () => {
    // 1000 values in [0, 1] and one at 10: the averaged range is [0, 1], the extremes [0, 10].
    const values = Float32Array.from({ length: 1001 }, (_, i) => (i === 1000 ? 10 : i / 1000));
    const inner = { min: 0, max: 1 };
    const outer = { min: 0, max: 10 };
    // 16 bits: rounding costs nothing, clipping the outlier costs 81: the whole range wins.
    expect(mseActivationRange(values, inner, outer, 16)).toEqual(outer);
    // 2 bits: the grid of [0, 10] rounds every small value to 0 (error ≈ Σ x² ≈ 333): the averaged range wins.
    expect(mseActivationRange(values, inner, outer, 2)).toEqual(inner);
    // Every candidate lies between the two, and the search is exhaustive over its 21 steps.
    for (const bits of [3, 4, 5, 6, 8]) {
      const chosen = mseActivationRange(values, inner, outer, bits);
      const steps = Array.from({ length: 21 }, (_, i) => ({ min: 0, max: 1 + (9 * i) / 20 }));
      const best = Math.min(...steps.map((s) => squaredQuantError(values, s.min, s.max, bits)));
      expect(squaredQuantError(values, chosen.min, chosen.max, bits)).toBe(best);
    }
    expect(() => mseActivationRange(values, { min: -1, max: 1 }, outer, 4)).toThrow('must lie within the extremes');
  });

  it('keeps exact extremes and the averaged per-batch range beside a sample', () => {
    const sampler = new ActivationSampler();
    sampler.add('s', Float32Array.from([-1, 0, 3]));
    sampler.add('s', Float32Array.from([-3, 0.5, 1]));
    expect(sampler.extremesOf('s')).toEqual({ min: -3, max: 3 });
    expect(sampler.meanRangeOf('s')).toEqual({ min: -2, max: 2 });
    expect(sampler.keys()).toEqual(['s']);
    expect(() => sampler.extremesOf('t')).toThrow('No calibration values');
  });
});

describe('calibration per width in the simulation and the export', () => {
  it('feeds each unit the range and τ of its own width, and the export reproduces it bit for bit', async () => {
    const model = buildEncoder(TINY_ENCODER);
    const units = discoverUnits(model).filter((u) => !u.excludedByDefault);
    const feeds = [1, 2].map((seed) => ({ input_image: new ort.Tensor('float32', new Float32Array(3072).map((_, i) => Math.sin(i * seed * 0.3) * 3), [1, 3, 32, 32]) }));
    const ranges = await calibrate(ortModule, model, units, feeds);
    // Per-width ranges: 4 bits keeps the calibrated range, 8 bits doubles it (any values do for this check).
    const wide: ActivationRanges = Object.fromEntries(Object.entries(ranges).map(([k, r]) => [k, { min: 2 * r.min, max: 2 * r.max }]));
    const softmaxV = units.find((u) => u.postSoftmaxInput !== null)!;
    const widthCalibration = { rangesByBits: { 8: wide }, log2TauByBits: { 8: { [softmaxV.id]: 16 } } };
    const parametric = buildParametricModel(model, units, { weightBits: [4, 8], ranges, log2Tau: { [softmaxV.id]: 1 }, widthCalibration });
    const allocation = Object.fromEntries(units.map((u, i) => [u.id, i % 2 === 0 ? 8 : 4]));
    const config = allocationToConfig(allocation, units);
    const sent = parametric.feedsFor(config);
    parametric.sites.forEach((site, i) => {
      const bits = allocation[site.unitId];
      if (site.quantizer === 'log2') {
        expect(sent.mq_a_scale.data[i]).toBe(Math.fround(bits === 8 ? wide[site.key].max : ranges[site.key].max));
        // τ: the unit's entry at 8 bits, its single τ at 4; other softmax·v units keep the default 2.
        expect(sent.mq_a_zero.data[i]).toBe(site.unitId !== softmaxV.id ? 2 : bits === 8 ? 16 : 1);
      } else {
        const range = bits === 8 ? wide[site.key] : ranges[site.key];
        expect(sent.mq_a_scale.data[i]).toBe(activationParams(range.min, range.max, bits).scale);
      }
    });
    // A call's own ranges replace the per-width ones.
    const own = parametric.feedsFor(config, { ranges });
    const first8 = parametric.sites.findIndex((s) => s.quantizer === 'uniform' && allocation[s.unitId] === 8);
    expect(own.mq_a_scale.data[first8]).toBe(activationParams(ranges[parametric.sites[first8].key].min, ranges[parametric.sites[first8].key].max, 8).scale);

    const resolved = resolveWidthCalibration(config, units, { ranges, log2Tau: { [softmaxV.id]: 1 } }, widthCalibration);
    expect(resolved.log2Tau[softmaxV.id]).toBe(allocation[softmaxV.id] === 8 ? 16 : 1);
    const exported = exportQuantizedModel(model, units, config, { simulation: parametric, ...resolved });
    const session = await createReferenceSession(ortModule, parametric.bytes);
    const verdict = await verifyExport(ortModule, { session, feeds: Object.fromEntries(Object.entries(sent).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)])) }, exported.bytes, feeds[0]);
    await session.release();
    expect(verdict.maxAbsError).toBe(0);
  }, 60_000);

  it('chooses τ at each width as the single-width choice with that width’s candidates and scale', async () => {
    const model = buildEncoder(TINY_ENCODER);
    const units = discoverUnits(model);
    const feeds = [{ input_image: new ort.Tensor('float32', new Float32Array(3072).map((_, i) => Math.sin(i * 0.3) * 3), [1, 3, 32, 32]) }];
    const ranges = await calibrate(ortModule, model, units, feeds, { method: { kind: 'minmax' } });
    const half: ActivationRanges = Object.fromEntries(Object.entries(ranges).map(([k, r]) => [k, { min: r.min, max: r.max / 2 }]));
    const rangesAt = (bits: number) => (bits === 3 ? half : ranges);
    const byWidth = await chooseLog2TausPerWidth(ortModule, model, units, rangesAt, feeds, { widths: [2, 3, 6] });
    for (const bits of [2, 3, 6]) {
      const candidates = Array.from({ length: bits }, (_, k) => 2 ** k);
      expect(byWidth[bits]).toEqual(await chooseLog2Taus(ortModule, model, units, rangesAt(bits), feeds, { bits, candidates }));
    }
    const unit = units.find((u) => u.postSoftmaxInput !== null)!;
    expect(ranges[siteKey(unit.id, unit.postSoftmaxInput!)].max).toBeGreaterThan(0);
  }, 60_000);
});
