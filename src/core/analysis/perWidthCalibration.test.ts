/** Calibration per width (settings perWidthRanges / perWidthLog2Tau) on the demo SAM with onnxruntime-node. */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { OrtModule } from '../onnx/ort';
import { siteKey } from '../quant/config';
import { PARAMETRIC_SESSION_OPTIONS } from '../quant/parametric';
import { generateScene } from '../synth/scene';
import { calibrate, prepareSam } from './analysisModel';
import { calibrationPrompts } from './calibrationPrompts';
import { defaultAnalysisSettings, perWidthCalibrationBits, settingsKey, validateSettings } from './settings';

const demoBytes = (file: string) => new Uint8Array(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));

describe('per-width calibration settings', () => {
  it('leave the persistence key of runs without them unchanged, and change it when on', () => {
    const plain = settingsKey(defaultAnalysisSettings);
    expect(settingsKey({ ...defaultAnalysisSettings, perWidthRanges: false, perWidthLog2Tau: false })).toBe(plain);
    expect(plain).not.toContain('perWidth');
    expect(settingsKey({ ...defaultAnalysisSettings, perWidthRanges: true })).not.toBe(plain);
    expect(settingsKey({ ...defaultAnalysisSettings, perWidthLog2Tau: true })).not.toBe(settingsKey({ ...defaultAnalysisSettings, perWidthRanges: true }));
  });

  it('cover 2 bits up to two above the widest candidate, and must be booleans', () => {
    expect(perWidthCalibrationBits({ ...defaultAnalysisSettings, candidateBits: [2, 4, 8] })).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(perWidthCalibrationBits({ ...defaultAnalysisSettings, candidateBits: [16] })).toEqual(Array.from({ length: 15 }, (_, i) => i + 2));
    expect(() => validateSettings({ ...defaultAnalysisSettings, perWidthRanges: 'yes' as unknown as boolean })).toThrow('per-width ranges must be on or off');
  });
});

describe('calibrate per width', () => {
  it('puts each width’s range between the averaged range and the extremes, keeps the extremes as log2 scale, and picks τ per width', async () => {
    const sam = prepareSam({ encoder: demoBytes('encoder.onnx'), decoder: demoBytes('decoder.onnx'), config: { inputSize: 256, lowResSize: 64 } });
    const items = [11, 12].map((seed) => {
      const scene = generateScene(seed);
      return { image: { width: 256, height: 256, data: scene.rgba }, prompts: calibrationPrompts({ width: 256, height: 256 }, 2, 2) };
    });
    const ort_ = ort as unknown as OrtModule;
    const base = await calibrate({ ort: ort_, sam, items, sessionOptions: PARAMETRIC_SESSION_OPTIONS });
    expect(base.rangesByBits).toBeUndefined();
    const facts = await calibrate({ ort: ort_, sam, items, sessionOptions: PARAMETRIC_SESSION_OPTIONS, perWidth: { bits: [3, 8], ranges: true, log2Tau: true } });
    // The single range is the same with or without the per-width option.
    expect(facts.ranges).toEqual(base.ranges);
    const log2Sites = new Set(sam.probedUnits.filter((u) => u.postSoftmaxInput !== null).map((u) => siteKey(u.id, u.postSoftmaxInput!)));
    let widened = 0;
    for (const [key, mean] of Object.entries(facts.ranges)) {
      for (const bits of [3, 8]) {
        const range = facts.rangesByBits![bits][key];
        if (log2Sites.has(key)) {
          // The largest attention probability seen: at least the average of per-image maxima, at most 1.
          expect(range.max).toBeGreaterThanOrEqual(mean.max - 1e-12);
          expect(range.max).toBeLessThanOrEqual(1);
          continue;
        }
        expect(range.min).toBeLessThanOrEqual(mean.min + 1e-9 * Math.abs(mean.min));
        expect(range.max).toBeGreaterThanOrEqual(mean.max - 1e-9 * Math.abs(mean.max));
      }
      if (!log2Sites.has(key)) {
        const [r3, r8] = [facts.rangesByBits![3][key], facts.rangesByBits![8][key]];
        // A wider grid never takes a narrower range than a coarse one on the same values.
        expect(r8.max - r8.min).toBeGreaterThanOrEqual((r3.max - r3.min) * (1 - 1e-9));
        if (r8.max - r8.min > (r3.max - r3.min) * 1.01) widened++;
      }
    }
    expect(widened).toBeGreaterThan(0);
    const softmaxUnits = sam.probedUnits.filter((u) => u.postSoftmaxInput !== null).map((u) => u.id);
    expect(Object.keys(facts.log2TauByBits![8]).sort()).toEqual([...softmaxUnits].sort());
    for (const id of softmaxUnits) {
      expect([1, 2, 4]).toContain(facts.log2TauByBits![3][id]);
      expect([1, 2, 4, 8, 16, 32, 64, 128]).toContain(facts.log2TauByBits![8][id]);
    }
    // Eight bits afford a finer τ than three for most attention maps.
    const finer = softmaxUnits.filter((id) => facts.log2TauByBits![8][id] > facts.log2TauByBits![3][id]).length;
    expect(finer).toBeGreaterThan(softmaxUnits.length / 2);
  }, 240_000);
});
