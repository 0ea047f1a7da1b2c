/**
 * The engine on the real demo model with onnxruntime-node. Ω, σ and Ŝ are recomputed here from the raw
 * low-res logits the engine dumps, by a second, plain float64 implementation of METHOD.md's formulas.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrtModule } from '../onnx/ort';
import { CancelledError } from '../progress';
import { generateScene, MIN_VISIBLE_PIXELS } from '../synth/scene';
import { runAnalysis, type AnalysisImage, type ProbeRecord, type ReferenceRecord } from './analysisEngine';
import { prepareSam } from './analysisModel';
import type { AnalysisResults } from './analysisResults';
import { MemoryAnalysisStore } from './analysisStore';
import { defaultAnalysisSettings, type AnalysisSettings } from './settings';

const demo = new URL('../../../public/models/demo-sam/', import.meta.url);
const files = {
  encoder: new Uint8Array(readFileSync(new URL('encoder.onnx', demo))),
  decoder: new Uint8Array(readFileSync(new URL('decoder.onnx', demo))),
  config: { inputSize: 256, lowResSize: 64 },
};
const runtime = ort as unknown as OrtModule;

function sceneImages(count: number): AnalysisImage[] {
  return Array.from({ length: count }, (_, k) => {
    const scene = generateScene(700 + k);
    const boxes = scene.objects
      .filter((o) => o.box && o.visiblePixels >= MIN_VISIBLE_PIXELS)
      .map((o) => ({ x0: o.box![0], y0: o.box![1], x1: o.box![2] + 1, y1: o.box![3] + 1 }));
    return { name: `scene-${k}`, image: { width: scene.width, height: scene.height, data: scene.rgba }, boxes };
  });
}

const settings: AnalysisSettings = {
  ...defaultAnalysisSettings,
  imageCount: 2,
  promptsPerImage: 3,
  sensitivityMode: 'exact',
  candidateBits: [3, 5],
};

/** Plain float64 reimplementation of METHOD.md "Output distribution" + KL, for cross-checking. */
function plainKl(referenceLogits: Float32Array, probeLogits: Float32Array, dims: readonly number[], selected: Int32Array, eps: number): number {
  const [prompts, masks, h, w] = dims;
  const dist = (logits: Float32Array) => {
    const values: number[] = [];
    for (let b = 0; b < prompts; b++) {
      for (let k = 0; k < h * w; k++) values.push(1 / (1 + Math.exp(-logits[(b * masks + selected[b]) * h * w + k])));
    }
    const sum = values.reduce((a, v) => a + v, 0);
    const clamped = values.map((v) => Math.max(v / sum, eps));
    const clampedSum = clamped.reduce((a, v) => a + v, 0);
    return clamped.map((v) => v / clampedSum);
  };
  const p = dist(referenceLogits);
  const q = dist(probeLogits);
  return p.reduce((kl, pk, k) => kl + pk * Math.log(pk / q[k]), 0);
}

function expectRelative(actual: number, expected: number, tolerance: number) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.max(Math.abs(expected), 1e-300));
}

describe('runAnalysis on the demo model (onnxruntime-node)', () => {
  const references: ReferenceRecord[] = [];
  const probes: ProbeRecord[] = [];
  let results: AnalysisResults;
  const sam = prepareSam(files);

  beforeAll(async () => {
    const run = await runAnalysis(files, sceneImages(2), settings, {
      ort: runtime,
      store: new MemoryAnalysisStore(),
      onReference: (record) => references.push({ ...record, lowRes: record.lowRes.slice() }),
      onProbe: (record) => probes.push({ ...record, lowRes: record.lowRes.slice() }),
    });
    results = run.results;
    expect(run.stats.encoderSegments).toBeGreaterThan(5);
    expect(run.stats.encoderSuffixRuns).toBeGreaterThan(0);
  }, 300_000);

  it('never probes excluded units and probes every other unit at every width on every image', () => {
    const excluded = new Set(sam.excludedUnits.map((u) => u.id));
    expect(excluded.size).toBeGreaterThan(0);
    expect(probes.some((record) => excluded.has(record.unitId))).toBe(false);
    expect(results.units.map((u) => u.id)).toEqual(sam.probedUnits.map((u) => u.id));
    expect(probes.length).toBe(sam.probedUnits.length * 3 * 2);
    expect(results.complete).toBe(true);
  });

  it('agrees with an independent float64 recomputation of Ω, σ and Ŝ from the raw outputs (1e-6 relative)', () => {
    const eps = settings.distributionEpsilon;
    const unitIds = results.units.map((u) => u.id);
    const kl = new Map<string, number>();
    for (const record of probes) {
      const reference = references[record.imageIndex];
      const value = plainKl(reference.lowRes, record.lowRes, reference.lowResDims, reference.selectedMasks, eps);
      expectRelative(record.kl, value, 1e-6);
      kl.set(`${record.imageIndex}|${record.unitId}|${record.probe}`, value);
    }
    const s = [0, 1].map((t) => {
      const raw = unitIds.map((id) => kl.get(`${t}|${id}|ablate`)!);
      const sum = raw.reduce((a, v) => a + v, 0);
      return raw.map((v) => v / sum);
    });
    unitIds.forEach((id, i) => {
      expectRelative(results.units[i].importance, (s[0][i] + s[1][i]) / 2, 1e-6);
      [3, 5].forEach((bits, column) => {
        const sigma = (kl.get(`0|${id}|w${bits}a${bits}`)! + kl.get(`1|${id}|w${bits}a${bits}`)!) / 2;
        expectRelative(results.units[i].sensitivity[column], sigma, 1e-6);
      });
    });
    for (let i = 0; i + 1 < unitIds.length; i++) {
      const mean = (1 / Math.max(Math.abs(s[0][i] - s[0][i + 1]), 1e-6) + 1 / Math.max(Math.abs(s[1][i] - s[1][i + 1]), 1e-6)) / 2;
      expectRelative(results.synergy[i], Math.log(1 + mean), 1e-6);
    }
    const omegaSum = results.units.reduce((a, u) => a + u.importance, 0);
    expect(Math.abs(omegaSum - 1)).toBeLessThan(1e-12);
  });

  it('gives each probe a real effect: ablations change the output more than 5-bit quantization', () => {
    // KL of two normalized distributions is never negative (Gibbs' inequality).
    expect(results.units.every((u) => u.sensitivity.every((sigma) => sigma >= 0))).toBe(true);
    const positive = results.units.filter((u) => u.importance > 0).length;
    expect(positive).toBe(results.units.length);
    const moreSensitiveAt3 = results.units.filter((u) => u.sensitivity[0] > u.sensitivity[1]).length;
    expect(moreSensitiveAt3).toBeGreaterThan(results.units.length * 0.9);
  });
});

describe('cancel and resume', () => {
  const images = sceneImages(1);
  const small: AnalysisSettings = { ...settings, imageCount: 1, promptsPerImage: 2, sensitivityMode: 'fast', fastProbeBits: [4], candidateBits: [2, 4, 6] };

  it('stops within one forward, and a new engine on the same store measures only what is missing', async () => {
    const store = new MemoryAnalysisStore();
    let forwards = 0;
    let cancelled = false;
    const first = runAnalysis(files, images, small, {
      ort: runtime,
      store,
      onProbe: () => {
        forwards++;
        if (forwards === 25) cancelled = true;
      },
      isCancelled: () => cancelled,
    });
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    expect(forwards).toBe(25);

    const resumedProbes: string[] = [];
    const second = await runAnalysis(files, images, small, {
      ort: runtime,
      store,
      onProbe: (record) => resumedProbes.push(`${record.unitId}|${record.probe}`),
    });
    const total = prepareSam(files).probedUnits.length * 2;
    expect(second.stats.probesReused).toBe(25);
    expect(second.stats.probesRun).toBe(total - 25);
    expect(second.stats.calibrationRuns).toBe(0); // calibration ranges were stored by the first run
    expect(new Set(resumedProbes).size).toBe(total - 25);
    expect(second.results.complete).toBe(true);

    const third = await runAnalysis(files, images, small, { ort: runtime, store, onProbe: () => forwards++ });
    expect(third.stats.probesRun).toBe(0);
    expect(third.stats.referenceRuns).toBe(0);
    expect(third.results.units.map((u) => u.importance)).toEqual(second.results.units.map((u) => u.importance));
  }, 300_000);
});

describe('encoder split', () => {
  it('measures the same KL when probes start from a cut as when they run the whole encoder', async () => {
    const one: AnalysisSettings = { ...settings, imageCount: 1, promptsPerImage: 2, sensitivityMode: 'fast', fastProbeBits: [4], candidateBits: [4] };
    const measure = async (maxEncoderSegments: number) => {
      const kl = new Map<string, number>();
      const run = await runAnalysis(files, sceneImages(1), { ...one, maxEncoderSegments }, {
        ort: runtime,
        store: new MemoryAnalysisStore(),
        unitFilter: (unit) => unit.graph === 'encoder',
        onProbe: (record) => kl.set(`${record.unitId}|${record.probe}`, record.kl),
      });
      return { kl, stats: run.stats };
    };
    const split = await measure(16);
    const whole = await measure(0);
    expect(split.stats.encoderSuffixRuns).toBe(split.kl.size);
    expect(whole.stats.encoderSuffixRuns).toBe(0);
    let worst = 0;
    for (const [key, value] of whole.kl) worst = Math.max(worst, Math.abs(split.kl.get(key)! - value) / value);
    expect(worst).toBeLessThan(1e-6);
  }, 300_000);
});
