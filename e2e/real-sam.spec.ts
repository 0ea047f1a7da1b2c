/**
 * A SAM the project did not make, as a user brings it: MobileSAM exported by its authors' code
 * (../shared/fixtures/mobilesam-random: TinyViT encoder, Meta's decoder with its prompt batch fixed at
 * 1) and a natural photo. The full analysis probing the encoder (then cancelled), the decoder-only
 * analysis to the end, the size budget dragged, the export downloaded and checked in onnxruntime-node against the
 * simulation of the same allocation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { prepareSam } from '../src/core/analysis/analysisModel';
import { buildSamParametric, QuantizedSam } from '../src/core/evaluate/quantizedSam';
import { verifySamExport } from '../src/core/evaluate/verifySamExport';
import { REFERENCE_SESSION_OPTIONS, type OrtModule } from '../src/core/onnx/ort';
import { DEFAULT_WEIGHT_BITS } from '../src/core/quant/parametric';
import { imageFromFile } from '../tools/analyzeInputs';
import { expect, test } from './fixtures';
import { chooseFastAnalysis, dropFiles, openStudio, type DroppedFile } from './studioPage';
import { collectDownloads, dragSlider, storedCalibration } from './usersDayFiles';

const shared = (path: string) => fileURLToPath(new URL(`../../shared/${path}`, import.meta.url));
const fixture = shared('fixtures/mobilesam-random/');
const photo = shared('data/images/dog.jpg');
const present = existsSync(`${fixture}encoder.onnx`) && existsSync(photo);
const file = (path: string, name: string, type: string): DroppedFile => ({ name, type, bytes: new Uint8Array(readFileSync(path)) });

test('MobileSAM from its authors: full analysis under way, decoder-only analysis, budget, export that equals the simulation', async ({ page }, testInfo) => {
  test.skip(!present, 'the MobileSAM fixture (../shared/fixtures/mobilesam-random) is not here');
  test.skip(testInfo.project.name !== 'wasm', 'WASM analysis; the webgpu project runs the demo model');
  test.setTimeout(1_800_000);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(name) });
  await openStudio(page, 'wasm');
  const encoder = file(`${fixture}encoder.onnx`, 'encoder.onnx', 'application/octet-stream');
  const decoder = file(`${fixture}decoder.onnx`, 'decoder.onnx', 'application/octet-stream');
  await dropFiles(page, [encoder, decoder, file(photo, 'dog.jpg', 'image/jpeg')]);
  const card = page.getByTestId('model-card');
  await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 120_000 });
  await expect(page.getByTestId('thumbnail').filter({ hasText: 'dog.jpg' })).toBeVisible();

  // The full analysis starts on the user's photo (it comes first) and probes TinyViT's encoder units; a
  // whole one takes ~400 probes (tens of minutes on 2 cores), so it is cancelled once encoder probes land.
  const view = page.getByTestId('analysis-view');
  await chooseFastAnalysis(page, 1, 2);
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view.getByText(/encoder stage \d+ block \d+/).first()).toBeVisible({ timeout: 600_000 });
  await expect(view.getByText(/^([3-9]|\d\d+)\/\d+ probes/)).toBeVisible({ timeout: 600_000 });
  await shot('1-full-running.png');
  await view.getByRole('button', { name: 'Cancel' }).click();
  await expect(view).toHaveAttribute('data-status', 'cancelled', { timeout: 300_000 });

  // Decoder only: the encoder stays FP and is never probed; this run finishes. Node checks the download below
  // against a simulation rebuilt from the stored calibration alone, so the biases stay uncorrected.
  await view.getByLabel('Units to probe').selectOption('decoder');
  await view.getByRole('checkbox', { name: 'Bias correction' }).uncheck();
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 900_000 });
  await shot('2-decoder-only.png');
  const budget = page.getByTestId('budget-panel');
  const badge = budget.getByTestId('solve-badge');
  const summary = budget.getByTestId('allocation-summary');
  await expect(badge).toHaveAttribute('data-tone', /^(ok|warn)$/);
  const sizeBefore = Number(await summary.getAttribute('data-size-bits'));
  await dragSlider(page, budget.getByLabel('Size budget (average bits per weight)'), 3);
  await expect(badge).toHaveAttribute('data-tone', /^(ok|warn)$/);
  await expect.poll(async () => Number(await summary.getAttribute('data-size-bits'))).toBeLessThan(sizeBefore);
  await shot('3-budget.png');

  const exportView = page.getByTestId('export-view');
  const downloads = collectDownloads(page, testInfo);
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'done', { timeout: 600_000 });
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = \S+ on \d+ prompts$/);
  // A decoder-only allocation ships the original encoder: its row says so rather than "×1.0 smaller".
  await expect(exportView.locator('tr[data-part="Encoder"]')).toContainText('unchanged');
  await expect(exportView.locator('tr[data-part="Decoder"]')).toContainText(/×\d+\.\d smaller/);
  await exportView.scrollIntoViewIfNeeded();
  await shot('4-exported.png');
  await expect.poll(() => downloads.size, { timeout: 60_000 }).toBe(2);
  const allocation = Object.fromEntries(JSON.parse((await exportView.getAttribute('data-allocation-key'))!) as [string, number | null][]);

  // Outside the browser: the downloaded files in onnxruntime-node against the simulation of the same allocation.
  const files = {
    encoder: new Uint8Array(readFileSync(downloads.get('encoder.mixed-precision.onnx')!)),
    decoder: new Uint8Array(readFileSync(downloads.get('decoder.mixed-precision.onnx')!)),
  };
  // Decoder-only: the encoder ships at full precision (the user's own file, byte for byte), the decoder quantized.
  expect(Buffer.compare(files.encoder, encoder.bytes)).toBe(0);
  expect(files.decoder.byteLength).toBeLessThan(decoder.bytes.byteLength);
  const sam = prepareSam({ encoder: encoder.bytes, decoder: decoder.bytes, config: {} });
  const simulation = await QuantizedSam.create(ort as unknown as OrtModule, sam, buildSamParametric(sam, await storedCalibration(page), DEFAULT_WEIGHT_BITS), REFERENCE_SESSION_OPTIONS);
  try {
    const dog = await imageFromFile(photo);
    const check = await verifySamExport(simulation, files, allocation, {
      image: dog.image,
      prompts: [
        { kind: 'point', x: 300, y: 250, positive: true },
        { kind: 'box', x0: 100, y0: 80, x1: 500, y1: 420 },
      ],
    });
    console.info(`MobileSAM downloads in onnxruntime-node vs simulation: ${JSON.stringify(check.endToEnd)}`);
    expect(check.prompts).toBe(2);
    expect(check.endToEnd.range).toBeGreaterThan(0);
    expect(check.endToEnd.maxAbsError).toBe(0);
  } finally {
    await simulation.release();
  }
});
