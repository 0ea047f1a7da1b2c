/**
 * Analyze in the studio (onnxruntime-web in a worker) shows a progress bar, completes, and shows the
 * numbers that the same core code computes in Node with onnxruntime-node on the same sample images.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { runAnalysis, type AnalysisImage } from '../src/core/analysis/analysisEngine';
import type { AnalysisResults } from '../src/core/analysis/analysisResults';
import { MemoryAnalysisStore } from '../src/core/analysis/analysisStore';
import { defaultAnalysisSettings, type AnalysisSettings } from '../src/core/analysis/settings';
import type { OrtModule } from '../src/core/onnx/ort';
import { buildSampleImages } from '../src/state/sampleImages';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { chooseFastAnalysis, openStudio } from './studioPage';

const settings: AnalysisSettings = {
  ...defaultAnalysisSettings,
  imageCount: 2,
  promptsPerImage: 4,
  sensitivityMode: 'fast',
  candidateBits: [2, 4, 6],
  fastProbeBits: [2, 6],
};

/**
 * Browser (WASM kernels) and Node (native CPU kernels) round differently in the last float32 bits.
 * Ω and Ŝ are ratios of large ablation KLs and agree closely; σ of fine widths is a KL of a tiny
 * perturbation, where a 1e-7 difference of the logits weighs more, so it gets a looser bound.
 */
const importanceTolerance = 1e-4;
const sensitivityTolerance = 1e-2;

function relativeDifference(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

/** Sets the panel's settings as a person would: T, prompts, fast mode, and which widths are candidates. */
async function chooseSettings(page: Page, images: number, prompts: number, widthsOff: number[]): Promise<void> {
  await chooseFastAnalysis(page, images, prompts);
  const view = page.getByTestId('analysis-view');
  for (const bits of widthsOff) await view.getByRole('checkbox', { name: String(bits), exact: true }).uncheck();
}

async function probesDone(page: Page): Promise<number> {
  return Number(await page.getByTestId('analysis-progress').getAttribute('data-done'));
}

// Both tests measure real probes on 2 cores shared with other work: give them room beyond the default.
test.describe.configure({ timeout: 420_000 });

test.beforeEach(({ browserName: _browserName }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'SwiftShader WebGPU measures ~0.1 probe/s; bench/analysis.ts times it');
});

test.describe('numbers', () => {
  let nodeResults: AnalysisResults;

  test.beforeAll(async ({ browserName: _browserName }, testInfo) => {
    test.skip(testInfo.project.name !== 'wasm', 'the Node figures are only needed where the test runs');
    const demo = new URL('../public/models/demo-sam/', import.meta.url);
    const files = {
      encoder: new Uint8Array(readFileSync(new URL('encoder.onnx', demo))),
      decoder: new Uint8Array(readFileSync(new URL('decoder.onnx', demo))),
      config: { inputSize: 256, lowResSize: 64 },
    };
    // The studio's samples with their ground-truth boxes as prompts, as the analysis slice builds them.
    const images: AnalysisImage[] = buildSampleImages().map((sample) => ({
      name: sample.name,
      image: sample.pixels,
      boxes: sample.truth.map((object) => object.box),
    }));
    ({ results: nodeResults } = await runAnalysis(files, images, settings, { ort: ort as unknown as OrtModule, store: new MemoryAnalysisStore() }));
  });

  test('Analyze shows progress, completes, and shows the numbers Node computes', async ({ page }) => {
    await openStudio(page, 'wasm');
    const view = page.getByTestId('analysis-view');
    await chooseSettings(page, settings.imageCount, settings.promptsPerImage, [3, 5]);
    await view.getByRole('button', { name: 'Analyze' }).click();

    const progress = page.getByTestId('analysis-progress');
    await expect(progress).toBeVisible();
    await expect(progress.getByRole('progressbar')).toBeVisible();
    await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
    await expect(progress).toHaveAttribute('data-done', String(nodeResults.probesTotal));

    const rows = await page.getByTestId('analysis-table').locator('tr[data-unit]').evaluateAll((elements) =>
      elements.map((element) => {
        const data = (element as HTMLElement).dataset;
        return { id: data.unit!, importance: Number(data.importance), sensitivity: JSON.parse(data.sensitivity!) as number[], synergy: Number(data.synergy) };
      }),
    );
    expect(rows.length).toBe(10);
    const nodeUnits = new Map(nodeResults.units.map((unit, i) => [unit.id, { unit, synergy: nodeResults.synergy[i] ?? NaN }]));
    const topFive = [...nodeResults.units].sort((a, b) => b.importance - a.importance).slice(0, 5).map((u) => u.id);
    expect(rows.slice(0, 5).map((row) => row.id)).toEqual(topFive);
    const worst = { importance: 0, sensitivity: 0, synergy: 0 };
    for (const row of rows) {
      const node = nodeUnits.get(row.id)!;
      worst.importance = Math.max(worst.importance, relativeDifference(row.importance, node.unit.importance));
      row.sensitivity.forEach((sigma, k) => (worst.sensitivity = Math.max(worst.sensitivity, relativeDifference(sigma, node.unit.sensitivity[k]))));
      if (Number.isFinite(node.synergy)) worst.synergy = Math.max(worst.synergy, relativeDifference(row.synergy, node.synergy));
    }
    console.info(`browser vs Node, largest relative differences: Ω ${worst.importance.toExponential(2)}, σ ${worst.sensitivity.toExponential(2)}, Ŝ ${worst.synergy.toExponential(2)}`);
    expect(worst.importance).toBeLessThan(importanceTolerance);
    expect(worst.sensitivity).toBeLessThan(sensitivityTolerance);
    expect(worst.synergy).toBeLessThan(importanceTolerance);
  });
});

test('Cancel stops the analysis, and after a reload Analyze resumes without measuring anything twice', async ({ page }) => {
  // One image, two prompts, zero-ablation and W4A4: 2 probes per unit.
  const setUp = () => chooseSettings(page, 1, 2, [2, 3, 5, 6]);
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  await setUp();
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect.poll(() => probesDone(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(10);
  await view.getByRole('button', { name: 'Cancel' }).click();
  await expect(view).toHaveAttribute('data-status', 'cancelled');
  const atCancel = await probesDone(page);
  await page.waitForTimeout(1000);
  expect(await probesDone(page)).toBe(atCancel);

  // Resume, then reload in the middle of the run: the page (and its worker) go away mid-probe.
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect.poll(() => probesDone(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(atCancel + 20);
  const beforeReload = await probesDone(page);
  await page.reload();
  await openStudio(page, 'wasm');
  await setUp();
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  const stats = page.getByTestId('analysis-stats');
  const reused = Number(await stats.getAttribute('data-probes-reused'));
  const run = Number(await stats.getAttribute('data-probes-run'));
  const total = Number(await page.getByTestId('analysis-progress').getAttribute('data-total'));
  expect(reused).toBeGreaterThanOrEqual(beforeReload);
  expect(reused + run).toBe(total);
});
