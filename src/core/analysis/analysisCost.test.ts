/**
 * The cost model on the demo model's real unit counts, against the engine's own probe count (runAnalysis
 * stopped at its first probe) and against totals worked out by hand from the model in analysisCost.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { OrtModule } from '../onnx/ort';
import { CancelledError } from '../progress';
import { generateScene } from '../synth/scene';
import { cheaperOptions, countProbedUnits, estimateAnalysisCost, isLongAnalysis, modelDefaults, type AnalysisCostInput } from './analysisCost';
import { runAnalysis } from './analysisEngine';
import { prepareSam, type SamModelFiles } from './analysisModel';
import { MemoryAnalysisStore } from './analysisStore';
import { defaultAnalysisSettings, type AnalysisSettings } from './settings';

const demo = new URL('../../../public/models/demo-sam/', import.meta.url);
const demoFiles: SamModelFiles = {
  encoder: new Uint8Array(readFileSync(new URL('encoder.onnx', demo))),
  decoder: new Uint8Array(readFileSync(new URL('decoder.onnx', demo))),
  config: { inputSize: 256, lowResSize: 64 },
};
const demoUnits = countProbedUnits(prepareSam(demoFiles).probedUnits);
const fastFour: AnalysisSettings = { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 4, sensitivityMode: 'fast' };
/** The demo model's plain forwards in onnxruntime-node on this machine: encoder ≈ 70 ms, decoder ≈ 18 ms a prompt. */
const nodeTimes = { encoderMs: 70, decoderMsPerPrompt: 18, backend: 'onnxruntime-node' };

/** The probe total runAnalysis reports, read from its first probe's progress event (then stopped). */
async function engineProbeTotal(settings: AnalysisSettings): Promise<number> {
  const scene = generateScene(700);
  const boxes = scene.objects.filter((o) => o.box).map((o) => ({ x0: o.box![0], y0: o.box![1], x1: o.box![2] + 1, y1: o.box![3] + 1 }));
  let total = 0;
  const run = runAnalysis(demoFiles, [{ name: 'scene', image: { width: scene.width, height: scene.height, data: scene.rgba }, boxes }], settings, {
    ort: ort as unknown as OrtModule,
    store: new MemoryAnalysisStore(),
    onProgress: (progress) => {
      if (progress.phase === 'probing') total = progress.total;
    },
    isCancelled: () => total > 0,
  });
  await expect(run).rejects.toBeInstanceOf(CancelledError);
  return total;
}

describe('estimateAnalysisCost', () => {
  it('counts the demo model’s probed units as discoverUnits finds them', () => {
    expect(demoUnits).toEqual({ encoderUnits: 38, decoderUnits: 46 });
  });

  it('counts the probes the engine runs, for both scopes', async () => {
    const exactTwo: AnalysisSettings = { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 1, candidateBits: [3, 5] };
    for (const settings of [exactTwo, { ...exactTwo, scope: 'decoder' as const }]) {
      const cost = estimateAnalysisCost({ ...demoUnits, settings, ...nodeTimes });
      expect(cost.probes).toBe(await engineProbeTotal(settings));
    }
    expect(estimateAnalysisCost({ ...demoUnits, settings: exactTwo, ...nodeTimes }).probes).toBe(84 * 3);
    expect(estimateAnalysisCost({ ...demoUnits, settings: { ...exactTwo, scope: 'decoder' }, ...nodeTimes }).probes).toBe(46 * 3);
  }, 120_000);

  it('totals forwards and time for the studio defaults on the demo model', () => {
    const cost = estimateAnalysisCost({ ...demoUnits, settings: defaultAnalysisSettings, ...nodeTimes });
    // T = 8, P = 16, exact σ at 5 widths: k = 6 probes per unit.
    expect(cost).toMatchObject({ images: 8, probes: 4032, encoderProbes: 38 * 6 * 8, decoderProbes: 46 * 6 * 8, complete: true });
    expect(cost.encoderForwards).toBe(8 * (3 + 228));
    expect(cost.decoderPromptRuns).toBe(8 * (3 + 228 + 276) * 16);
    // 1.5 × (1848 × 70 ms + 64 896 × 18 ms): about 32 minutes in Node.
    expect(cost.wallMs).toBe(1_946_232);
    expect(isLongAnalysis(cost)).toBe(true);
  });

  it('matches the fast runs measured in Node within what it leaves out', () => {
    // Demo, all units: the run took 50–54 s, of which ~10 s rewriting graphs and compiling sessions.
    const demoRun = estimateAnalysisCost({ ...demoUnits, settings: fastFour, ...nodeTimes });
    expect(demoRun).toMatchObject({ probes: 252, encoderForwards: 117, decoderPromptRuns: 1020 });
    expect(demoRun.wallMs).toBe(39_825);
    // MobileSAM decoder-only (87 + 46 units; encoder 1.2 s, decoder 350 ms a prompt then): the run took 317 s.
    const mobileSam = estimateAnalysisCost({ encoderUnits: 87, decoderUnits: 46, settings: { ...fastFour, scope: 'decoder' }, encoderMs: 1200, decoderMsPerPrompt: 350, backend: 'onnxruntime-node' });
    expect(mobileSam).toMatchObject({ probes: 138, encoderProbes: 0, encoderForwards: 3, decoderPromptRuns: 564 });
    expect(mobileSam.wallMs).toBe(301_500);
  });

  it('gives a lower bound while a time is missing, and nothing while both are', () => {
    const encoderOnly = estimateAnalysisCost({ ...demoUnits, settings: defaultAnalysisSettings, ...nodeTimes, decoderMsPerPrompt: null });
    expect(encoderOnly).toMatchObject({ wallMs: 1.5 * 1848 * 70, complete: false });
    expect(estimateAnalysisCost({ ...demoUnits, settings: defaultAnalysisSettings, encoderMs: null, decoderMsPerPrompt: null, backend: 'x' }).wallMs).toBeNull();
  });

  it('uses only the images at hand', () => {
    const cost = estimateAnalysisCost({ ...demoUnits, settings: defaultAnalysisSettings, imagesAvailable: 3, ...nodeTimes });
    expect(cost).toMatchObject({ images: 3, probes: 84 * 6 * 3 });
  });
});

/** MobileSAM's probed units with its encoder's time in Chromium WASM (3.9 s, ENVIRONMENT.md) and a 400 ms decoder. */
const mobileSamWasm: AnalysisCostInput = { encoderUnits: 87, decoderUnits: 46, settings: defaultAnalysisSettings, encoderMs: 3900, decoderMsPerPrompt: 400, backend: 'WASM · 2 threads' };

describe('cheaper settings', () => {
  it('offers decoder-only, fewer images and prompts, and fast σ, each with its own estimate', () => {
    expect(estimateAnalysisCost(mobileSamWasm).wallMs).toBe(86_086_800); // ≈ 24 h
    const options = cheaperOptions(mobileSamWasm);
    expect(options.map((option) => [option.choice, option.patch, option.cost.wallMs])).toEqual([
      ['decoder-only', { scope: 'decoder' }, 21_567_600],
      ['fewer-images', { imageCount: 2, promptsPerImage: 4 }, 9_987_300],
      ['fast-sensitivity', { sensitivityMode: 'fast' }, 43_228_800],
    ]);
  });

  it('offers only what saves work', () => {
    const cheapest: AnalysisSettings = { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 4, sensitivityMode: 'fast', scope: 'decoder' };
    expect(cheaperOptions({ ...mobileSamWasm, settings: cheapest })).toEqual([]);
    const twoImages = cheaperOptions({ ...mobileSamWasm, settings: { ...cheapest, imageCount: 2 } });
    expect(twoImages.map((option) => option.patch)).toEqual([{ imageCount: 1, promptsPerImage: 4 }]);
    // Exact σ at the fast widths only measures no fewer widths: fast mode would save nothing.
    const exactAtFastWidths = { ...cheapest, sensitivityMode: 'exact' as const, candidateBits: [3, 5] };
    expect(cheaperOptions({ ...mobileSamWasm, settings: exactAtFastWidths })).toEqual([]);
  });

  it('sizes a user’s model to finish in minutes: 1 image and decoder-only for MobileSAM in WASM', () => {
    const chosen = modelDefaults({ ...mobileSamWasm, units: { encoderUnits: 87, decoderUnits: 46 } });
    expect(chosen.patch).toEqual({ imageCount: 1, promptsPerImage: 4, sensitivityMode: 'fast', scope: 'decoder' });
    expect(chosen.cost?.wallMs).toBe(355_950); // ≈ 6 min, after 84 min with 2 images and 42 min with 1
    // Before the decoder is timed, the encoder's share alone already rules out the encoder probes.
    const untimedDecoder = modelDefaults({ ...mobileSamWasm, decoderMsPerPrompt: null, units: { encoderUnits: 87, decoderUnits: 46 } });
    expect(untimedDecoder.patch).toEqual(chosen.patch);
    expect(untimedDecoder.cost).toMatchObject({ wallMs: 17_550, complete: false });
  });

  it('keeps every unit when the model is small, and takes the first step alone before units are counted', () => {
    const small = modelDefaults({ ...nodeTimes, settings: defaultAnalysisSettings, units: demoUnits });
    expect(small.patch).toEqual({ imageCount: 2, promptsPerImage: 4, sensitivityMode: 'fast', scope: 'all' });
    expect(small.cost?.wallMs).toBe(79_650);
    expect(modelDefaults({ ...mobileSamWasm, units: null })).toEqual({ patch: small.patch, cost: null });
  });
});

describe('on MobileSAM (real export in ../shared/fixtures)', () => {
  const folder = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
  const present = existsSync(`${folder}encoder.onnx`);
  it.skipIf(!present)('counts the units the cheaper-settings tests assume', () => {
    const sam = prepareSam({ encoder: new Uint8Array(readFileSync(`${folder}encoder.onnx`)), decoder: new Uint8Array(readFileSync(`${folder}decoder.onnx`)) });
    expect(countProbedUnits(sam.probedUnits)).toEqual({ encoderUnits: mobileSamWasm.encoderUnits, decoderUnits: mobileSamWasm.decoderUnits });
  });
});
