/**
 * Analysis speed on the demo model, measured side by side in one run:
 *  1. probes ("analysis forwards": one decoder run, after an encoder suffix for encoder units) per second
 *     on the same workload in Node (onnxruntime-node) and in headless Chromium through the studio
 *     (onnxruntime-web: WASM with 2 threads; WebGPU, which on a machine without a GPU is SwiftShader);
 *  2. the wall time of a full analysis of 8 images in Node (exact mode), and the error fast mode's
 *     σ(b) ∝ 4^(−b) extrapolation would make on it.
 *
 *   npx vite build --outDir dist-analysis && npm run bench:analysis -- [--dist dist-analysis] [--port 4293]
 *        [--window 40] [--webgpu-window 10] [--full-images 8] [--full-prompts 4] [--skip-browser] [--skip-full]
 *
 * SwiftShader runs WebGPU in software at a fraction of a probe per second, and every encoder suffix is
 * a new session with its own shader compilation, so WebGPU is timed over a shorter window (compared
 * with Node over the same probes) and then cancelled.
 */
import type { Page } from '@playwright/test';
import * as ort from 'onnxruntime-node';
import { runAnalysis } from '../src/core/analysis/analysisEngine';
import { MemoryAnalysisStore } from '../src/core/analysis/analysisStore';
import { extrapolationError } from '../src/core/analysis/metrics';
import { defaultAnalysisSettings, type AnalysisSettings } from '../src/core/analysis/settings';
import type { OrtModule } from '../src/core/onnx/ort';
import { loadModelFiles, sampleScenes } from '../tools/analyzeInputs';
import { withStudioBrowser } from './studioBrowser';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i].replace(/^--/, '');
  if (key.startsWith('skip-')) args.set(key, 'true');
  else args.set(key, process.argv[++i]);
}
const dist = args.get('dist') ?? 'dist-analysis';
const port = Number(args.get('port') ?? 4293);
const windowProbes = Number(args.get('window') ?? 40);
const webgpuWindow = Number(args.get('webgpu-window') ?? 10);
const fullImages = Number(args.get('full-images') ?? 8);
// 16 prompts per image (the method's count) take ~4× as long: the decoder's cost grows with the prompt batch.
const fullPrompts = Number(args.get('full-prompts') ?? 4);
const runtime = ort as unknown as OrtModule;

/** The speed workload: Sample 1 with 4 of its ground-truth boxes, σ at 4 bits only: 2 probes per unit. */
const speedSettings: AnalysisSettings = {
  ...defaultAnalysisSettings,
  imageCount: 1,
  promptsPerImage: 4,
  sensitivityMode: 'fast',
  candidateBits: [4],
  fastProbeBits: [4],
};

interface SpeedReading {
  /** Probes timed for windowRate (1..window: the first encoder units). */
  window: number;
  /** Probes per second over probes 1..window. */
  windowRate: number;
  /** Probes per second over the whole image, when it was run to the end. */
  fullRate: number | null;
  total: number;
}

async function nodeSpeed(): Promise<SpeedReading & { rateUpTo(done: number): number }> {
  const files = await loadModelFiles({});
  const marks = new Map<number, number>();
  const { stats } = await runAnalysis(files, sampleScenes(1), speedSettings, {
    ort: runtime,
    store: new MemoryAnalysisStore(),
    onProgress: (progress) => {
      if (progress.phase === 'probing' && !marks.has(progress.done)) marks.set(progress.done, performance.now());
    },
  });
  const total = stats.probesRun;
  const rateUpTo = (done: number) => (done - 1) / ((marks.get(done)! - marks.get(1)!) / 1000);
  return { window: windowProbes, windowRate: rateUpTo(windowProbes), fullRate: rateUpTo(total), total, rateUpTo };
}

/** Time at which the progress bar first shows at least `done` probes. */
async function reached(page: Page, done: number, timeout: number): Promise<number> {
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=analysis-progress]')?.getAttribute('data-done') ?? 0) >= n,
    done,
    { polling: 5, timeout },
  );
  return performance.now();
}

async function browserSpeed(page: Page, query: string, window: number, runToEnd: boolean): Promise<SpeedReading & { backend: string }> {
  await page.goto(`http://127.0.0.1:${port}/?${query}`);
  await page.locator('[data-testid=model-card][data-status=ready]').waitFor({ timeout: 120_000 });
  await page.locator('[data-testid=image-stage][data-encode-state=ready]').waitFor({ timeout: 300_000 });
  const view = page.getByTestId('analysis-view');
  await view.getByLabel('Images to analyse').fill(String(speedSettings.imageCount));
  await view.getByLabel('Prompts per image').fill(String(speedSettings.promptsPerImage));
  await view.getByLabel('Sensitivity mode').selectOption('fast');
  for (const bits of [2, 3, 5, 6]) await view.getByRole('checkbox', { name: String(bits), exact: true }).uncheck();
  await view.getByRole('button', { name: 'Analyze' }).click();
  const start = await reached(page, 1, 300_000);
  const windowEnd = await reached(page, window, 600_000);
  const total = Number(await page.getByTestId('analysis-progress').getAttribute('data-total'));
  let fullRate: number | null = null;
  if (runToEnd) {
    const end = await reached(page, total, 600_000);
    fullRate = (total - 1) / ((end - start) / 1000);
  } else {
    await view.getByRole('button', { name: 'Cancel' }).click();
  }
  await page.locator('[data-testid=analysis-view]:not([data-status=running]):not([data-status=cancelling])').waitFor({ timeout: 120_000 });
  const backend = await page.getByTestId('analysis-view').getAttribute('data-backend');
  return { window, windowRate: (window - 1) / ((windowEnd - start) / 1000), fullRate, total, backend: backend ?? '' };
}

const rate = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)}/s`);

console.log(`Analysis forwards on the demo model: ${speedSettings.promptsPerImage} box prompts of Sample 1, zero-ablation + W4A4 per unit.`);
const node = await nodeSpeed();
const rows: { name: string; reading: SpeedReading; note: string }[] = [{ name: 'Node (onnxruntime-node)', reading: node, note: 'CPU, default threads' }];

if (!args.has('skip-browser')) {
  await withStudioBrowser(dist, port, async (browser) => {
    for (const [name, query, window, toEnd] of [
      ['Chromium WASM, 2 threads', 'backend=wasm&threads=2', windowProbes, true],
      ['Chromium WebGPU', 'backend=webgpu&threads=2', webgpuWindow, false],
    ] as const) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        const reading = await browserSpeed(page, query, window, toEnd);
        rows.push({ name, reading, note: reading.backend });
      } catch (error) {
        rows.push({ name, reading: { window, windowRate: NaN, fullRate: null, total: 0 }, note: `failed: ${(error as Error).message.split('\n')[0]}` });
      }
      await page.close();
    }
  });
}

console.log(`backend                    | first probes (encoder units) | vs Node | all ${node.total} probes | vs Node | runs on`);
for (const { name, reading, note } of rows) {
  const ratio = (value: number | null, reference: number | null) => (value === null || reference === null || !Number.isFinite(value) ? '—' : `${(value / reference).toFixed(2)}×`);
  console.log(
    [
      name.padEnd(26),
      `${rate(reading.windowRate)} over ${reading.window}`.padStart(28),
      ratio(reading.windowRate, node.rateUpTo(reading.window)).padStart(7),
      rate(reading.fullRate).padStart(13 + String(node.total).length),
      ratio(reading.fullRate, node.fullRate).padStart(7),
      note,
    ].join(' | '),
  );
}

if (!args.has('skip-full')) {
  const settings: AnalysisSettings = { ...defaultAnalysisSettings, imageCount: fullImages, promptsPerImage: fullPrompts, sensitivityMode: 'exact' };
  const started = performance.now();
  const { results, stats } = await runAnalysis(await loadModelFiles({}), sampleScenes(fullImages), settings, { ort: runtime, store: new MemoryAnalysisStore() });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\nFull analysis in Node: ${fullImages} images × ≤${fullPrompts} prompts, exact σ at ${settings.candidateBits.join('/')} bits: ` +
      `${stats.probesRun} probes in ${seconds.toFixed(1)} s wall (${(stats.probingMs / 1000).toFixed(1)} s probing, ${(stats.probesRun / (stats.probingMs / 1000)).toFixed(1)}/s; ` +
      `${stats.encoderSuffixRuns} encoder probes from ${stats.encoderSegments} cuts).`,
  );
  const exact = results.units.map((unit) => Float64Array.from(unit.sensitivity));
  for (const fastBits of [[4], [2, 6], [3, 5]]) {
    const error = extrapolationError(exact, settings.candidateBits, fastBits);
    console.log(
      `Fast mode measuring ${fastBits.join(' & ')} bits: σ at the other widths off by median ${(error.medianRelative * 100).toFixed(1)}%, ` +
        `mean ${(error.meanRelative * 100).toFixed(1)}%, max ${(error.maxRelative * 100).toFixed(0)}%; rank correlation with exact σ ${error.rankCorrelation.toFixed(3)}.`,
    );
  }
}
