/**
 * The user's day (DESIGN.md): drop a SAM and images, Analyze, move the budget, preview FP vs mixed masks,
 * Evaluate, download the quantized model and the report; then check the downloaded files outside the
 * browser (onnxruntime-node) against the simulation and the report against what the page showed.
 */
import { readFileSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { prepareSam } from '../src/core/analysis/analysisModel';
import { buildSamParametric, QuantizedSam } from '../src/core/evaluate/quantizedSam';
import { verifySamExport } from '../src/core/evaluate/verifySamExport';
import { REFERENCE_SESSION_OPTIONS, type OrtModule } from '../src/core/onnx/ort';
import { DEFAULT_WEIGHT_BITS } from '../src/core/quant/parametric';
import type { MixQsamReport } from '../src/core/report';
import { generateScene } from '../src/core/synth/scene';
import { expect, test } from './fixtures';
import { analyseFast, clickImagePixel, dropFiles, openStudio, waitForEncodedImage } from './studioPage';
import { collectDownloads, demoModelFile, dragSlider, scenePng, storedCalibration } from './usersDayFiles';

/** The export must reproduce the simulation within this fraction of the mask-logit range. */
const EQUIVALENCE = 1e-3;

test('a user’s day: drop, analyze, budget, preview, evaluate, download', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the whole day once; the webgpu project checks its export below');
  test.setTimeout(540_000);
  const shot = async (name: string, testId?: string) => {
    if (testId) await page.getByTestId(testId).scrollIntoViewIfNeeded();
    await page.screenshot({ path: testInfo.outputPath(name) });
  };
  await openStudio(page, 'wasm');

  const encoder = demoModelFile('encoder.onnx');
  const decoder = demoModelFile('decoder.onnx');
  await dropFiles(page, [encoder, decoder, scenePng(101), scenePng(102)]);
  await expect(page.getByTestId('model-card')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('thumbnail').filter({ hasText: 'scene-102.png' })).toBeVisible();
  await shot('1-dropped.png');

  // Node rebuilds the simulation below from the stored calibration alone, without the bias statistics.
  await page.getByTestId('analysis-view').getByRole('checkbox', { name: 'Bias correction' }).uncheck();
  await analyseFast(page, 1, 4);
  await shot('2-analysed.png');

  // Preview on the user's own image: a click gives FP and mixed masks side by side.
  await page.getByTestId('thumbnail').filter({ hasText: 'scene-101.png' }).click();
  await waitForEncodedImage(page);
  await clickImagePixel(page, 128, 128);
  const preview = page.getByTestId('quant-preview');
  await expect(preview).toHaveAttribute('data-status', 'ready');
  const previewIoU = Number(await preview.getAttribute('data-iou'));
  expect(previewIoU).toBeGreaterThanOrEqual(0);
  expect(previewIoU).toBeLessThanOrEqual(1);
  await shot('3-preview.png', 'quant-preview');

  // The size slider, dragged from 4 to about 3 bits a weight: the allocation changes, the badge settles and
  // the preview follows the new allocation.
  const budget = page.getByTestId('budget-panel');
  const badge = budget.getByTestId('solve-badge');
  await expect(badge).toHaveAttribute('data-tone', /^(ok|warn)$/);
  const summary = budget.getByTestId('allocation-summary');
  const sizeBefore = Number(await summary.getAttribute('data-size-bits'));
  const allocationBefore = await preview.getAttribute('data-allocation-key');
  const previewsBefore = Number(await preview.getAttribute('data-count'));
  await dragSlider(page, budget.getByLabel('Size budget (average bits per weight)'), 3);
  const sizeBudget = Number(await budget.getByTestId('size-budget-value').getAttribute('data-bits'));
  expect(sizeBudget).toBeGreaterThan(2.7);
  expect(sizeBudget).toBeLessThan(3.3);
  await expect(badge).toHaveAttribute('data-tone', /^(ok|warn)$/);
  await expect.poll(async () => Number(await summary.getAttribute('data-size-bits'))).toBeLessThan(sizeBefore);
  await expect(preview).not.toHaveAttribute('data-allocation-key', allocationBefore!);
  await expect(preview).toHaveAttribute('data-status', 'ready');
  expect(Number(await preview.getAttribute('data-count'))).toBeGreaterThan(previewsBefore);
  await shot('3b-budget.png', 'budget-panel');

  const evaluate = page.getByTestId('evaluate-view');
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate.getByTestId('evaluate-progress')).toBeVisible();
  await expect(evaluate).toHaveAttribute('data-status', 'done');
  const rows = await evaluate.locator('tr[data-plan]').evaluateAll((elements) =>
    elements.map((element) => {
      const data = (element as HTMLElement).dataset;
      // The user's own image comes first and has no known objects: no truth score then.
      return { plan: data.plan!, truth: data.miouTruth ? Number(data.miouTruth) : null, fp: Number(data.miouFp) };
    }),
  );
  expect(rows.map((row) => row.plan)).toEqual(['fp', 'uniform', 'mixed']);
  expect(rows[0].fp).toBe(1);
  await shot('4-evaluated.png', 'evaluate-view');

  const exportView = page.getByTestId('export-view');
  const downloads = collectDownloads(page, testInfo);
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'done');
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = \S+ on 4 prompts$/);
  const relative = Number(await exportView.getAttribute('data-relative-error'));
  expect(relative).toBeLessThanOrEqual(EQUIVALENCE);
  const allocation = Object.fromEntries(JSON.parse((await exportView.getAttribute('data-allocation-key'))!) as [string, number | null][]);
  await expect(preview).toHaveAttribute('data-allocation-key', (await exportView.getAttribute('data-allocation-key'))!);
  await shot('5-exported.png', 'export-view');
  await expect.poll(() => downloads.size).toBe(2);
  await exportView.getByRole('button', { name: 'report.json' }).click();
  await exportView.getByRole('button', { name: 'report.html' }).click();
  await expect.poll(() => downloads.size).toBe(4);

  // report.json says what the page showed: the evaluation table, the allocation exported, its size.
  const report = JSON.parse(readFileSync(downloads.get('report.json')!, 'utf8')) as MixQsamReport;
  expect(report.evaluation?.rows.map((row) => ({ plan: row.id, truth: row.miouTruth, fp: row.miouFp }))).toEqual(rows);
  expect(report.evaluation?.matchesAllocation).toBe(true);
  expect(Object.fromEntries(report.units.map((unit) => [unit.id, unit.bits]))).toEqual(
    Object.fromEntries(report.units.map((unit) => [unit.id, allocation[unit.id]])),
  );
  expect(report.sizes.allocation?.sizeBits).toBe(Number(await page.getByTestId('allocation-summary').getAttribute('data-size-bits')));
  expect(report.model.encoderFile).toBe('encoder.onnx');
  // …and the quantized files it lists are the ones downloaded, checked as the page said.
  const listed = report.exported?.files ?? [];
  expect(listed.map((file) => file.fileName)).toEqual(['encoder.mixed-precision.onnx', 'decoder.mixed-precision.onnx']);
  expect(listed.map((file) => statSync(downloads.get(file.fileName)!).size)).toEqual(listed.map((file) => file.bytes));
  expect(report.exported?.verification.endToEnd.maxAbsError).toBe(Number(await exportView.getAttribute('data-max-abs-error')));
  expect(report.exported?.verification.endToEnd.range).toBe(Number(await exportView.getAttribute('data-logit-range')));
  const html = readFileSync(downloads.get('report.html')!, 'utf8');
  expect(html).toContain('<svg');
  expect(html).toContain(report.analysis.runKey);

  // Outside the browser: the downloaded files in onnxruntime-node against the simulation of the same
  // allocation, built from the calibration the page stored and the allocation it exported.
  const facts = await storedCalibration(page);
  const files = {
    encoder: new Uint8Array(readFileSync(downloads.get('encoder.mixed-precision.onnx')!)),
    decoder: new Uint8Array(readFileSync(downloads.get('decoder.mixed-precision.onnx')!)),
  };
  const sizes = await exportView.locator('tr[data-part]').evaluateAll((elements) => elements.map((element) => Number((element as HTMLElement).dataset.fileBytes)));
  expect(sizes).toEqual([files.encoder.byteLength, files.decoder.byteLength]);
  expect(files.encoder.byteLength).toBeLessThan(encoder.bytes.byteLength);
  const nodeOrt = ort as unknown as OrtModule;
  // Dropped without model.json, as the page had it: sizes come from the graphs.
  const sam = prepareSam({ encoder: encoder.bytes, decoder: decoder.bytes, config: {} });
  const simulation = await QuantizedSam.create(nodeOrt, sam, buildSamParametric(sam, facts, DEFAULT_WEIGHT_BITS), REFERENCE_SESSION_OPTIONS);
  const scene = generateScene(101, { size: 256 });
  const check = await verifySamExport(simulation, files, allocation, {
    image: { width: scene.width, height: scene.height, data: scene.rgba },
    prompts: [
      { kind: 'point', x: 128.5, y: 128.5, positive: true },
      { kind: 'point', x: 40, y: 200, positive: true },
    ],
  });
  await simulation.release();
  console.info(`downloaded files in onnxruntime-node vs simulation: ${JSON.stringify(check.endToEnd)}; in the page: ${relative}`);
  expect(check.endToEnd.range).toBeGreaterThan(0);
  expect(check.endToEnd.relativeError).toBeLessThanOrEqual(EQUIVALENCE);
});

test('the exported files reproduce the simulation on the page’s backend', async ({ page }, testInfo) => {
  test.setTimeout(540_000);
  // Analysis on WASM (fast); the export is then checked on the project's backend, WebGPU in the webgpu project.
  await openStudio(page, 'wasm');
  await analyseFast(page, 1, 4);
  const backend = testInfo.project.name === 'webgpu' ? 'webgpu' : 'wasm';
  if (backend === 'webgpu') {
    await page.getByLabel('Backend').selectOption('webgpu');
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
    await expect(page.getByTestId('model-card')).toHaveAttribute('data-status', 'ready');
  }
  const exportView = page.getByTestId('export-view');
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await exportView.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath(`export-${backend}.png`) });
  await expect(exportView).toHaveAttribute('data-backend', backend === 'webgpu' ? /^WebGPU/ : /^WASM/);
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = \S+ on 4 prompts$/);
  const relative = Number(await exportView.getAttribute('data-relative-error'));
  console.info(`${backend}: exported files vs simulation in the page: max |Δ| ${await exportView.getAttribute('data-max-abs-error')} of range ${await exportView.getAttribute('data-logit-range')}`);
  expect(relative).toBeLessThanOrEqual(EQUIVALENCE);
});
