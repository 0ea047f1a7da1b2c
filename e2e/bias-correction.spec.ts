/**
 * Bias correction as a person meets it: ticked by default in the analysis form, the export is verified against its
 * (corrected) simulation in the browser, says that its biases are corrected, and its downloaded biases are
 * the ones Node's own correction gives from the same calibration image; unticked, the export has none.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Page, TestInfo } from '@playwright/test';
import { prepareSam } from '../src/core/analysis/analysisModel';
import { promptsOfImage } from '../src/core/analysis/analysisKeys';
import { defaultAnalysisSettings } from '../src/core/analysis/settings';
import { buildRoundedSamParametric } from '../src/core/evaluate/quantizedSam';
import { exportQuantizedSam } from '../src/core/evaluate/samExport';
import { decodeModel } from '../src/core/onnx/proto';
import { correctedBiasName } from '../src/core/quant/bias-correction';
import type { OrtModule } from '../src/core/onnx/ort';
import { DEFAULT_WEIGHT_BITS } from '../src/core/quant/parametric';
import { analysisImageOf } from '../src/state/analysisImages';
import { buildSampleImages } from '../src/state/sampleImages';
import { expect, test } from './fixtures';
import { chooseFastAnalysis, openStudio } from './studioPage';
import { collectDownloads, demoModelFile, storedCalibration } from './usersDayFiles';

/** The corrected biases an exported graph carries, by name. */
function correctedBiases(bytes: Uint8Array): Map<string, Float32Array> {
  const graph = decodeModel(bytes).graph!;
  return new Map((graph.initializer ?? []).filter((t) => t.name?.endsWith('.bias_corrected')).map((t) => [t.name!, new Float32Array(t.rawData!.slice().buffer)]));
}

async function exportOnce(page: Page, testInfo: TestInfo, shot: string): Promise<{ encoder: Uint8Array; decoder: Uint8Array; allocation: Record<string, number | null>; detail: string }> {
  const exportView = page.getByTestId('export-view');
  const downloads = collectDownloads(page, testInfo);
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  // The exact profile: the files equal the simulation they were written from.
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = 0 on \d+ prompts$/);
  await exportView.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath(shot) });
  await expect.poll(() => downloads.size, { timeout: 60_000 }).toBe(2);
  const allocation = Object.fromEntries(JSON.parse((await exportView.getAttribute('data-allocation-key'))!) as [string, number | null][]);
  const file = (name: string) => new Uint8Array(readFileSync(downloads.get(name)!));
  const detail = (await exportView.getByTestId('export-verification-detail').textContent()) ?? '';
  return { encoder: file('encoder.mixed-precision.onnx'), decoder: file('decoder.mixed-precision.onnx'), allocation, detail };
}

test('bias correction, on by default: its export is verified, says so, and carries the biases Node’s correction gives', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the same worker code on every backend');
  test.setTimeout(900_000);
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  const checkbox = view.getByRole('checkbox', { name: 'Bias correction' });
  await chooseFastAnalysis(page, 1, 4);
  await expect(checkbox).toBeChecked();
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await checkbox.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('1-bias-correction-default.png') });
  const corrected = await exportOnce(page, testInfo, '2-corrected-exported.png');
  expect(corrected.detail).toContain('biases corrected');

  // Off: the results say their settings changed; Analyze again reads every probe from the store.
  await checkbox.uncheck();
  await expect(page.getByTestId('analysis-drift-note')).toContainText('bias corrected');
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('analysis-drift-note')).toHaveCount(0);
  // The corrected export was of another quantized model: the card no longer shows it.
  await expect(page.getByTestId('export-view')).not.toHaveAttribute('data-status', 'done');
  const plain = await exportOnce(page, testInfo, '3-uncorrected-exported.png');
  expect(plain.detail).not.toContain('biases corrected');
  expect(plain.allocation).toEqual(corrected.allocation);
  expect(correctedBiases(plain.encoder).size + correctedBiases(plain.decoder).size).toBe(0);

  // In Node: the correction from the same calibration image (the first sample scene, its true boxes as prompts).
  const files = { encoder: demoModelFile('encoder.onnx').bytes, decoder: demoModelFile('decoder.onnx').bytes, config: { inputSize: 256, lowResSize: 64 } };
  const sam = prepareSam(files);
  const settings = { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 4 };
  const [sample] = buildSampleImages();
  const entry = analysisImageOf({ name: sample.name, pixels: sample.pixels, truth: sample.truth });
  const items = [{ image: entry.image, prompts: promptsOfImage(entry, settings) }];
  const facts = await storedCalibration(page);
  const node = await buildRoundedSamParametric({ ort: ort as unknown as OrtModule, sam, facts, weightBits: DEFAULT_WEIGHT_BITS, rounding: 'nearest', biasCorrection: true, items });
  const nodeFiles = exportQuantizedSam(sam, node, corrected.allocation, { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength });

  // Against the size of the correction itself: each corrected bias minus the model's own.
  const original = new Map<string, Float32Array>();
  for (const parametric of [node.encoder, node.decoder]) {
    for (const [id, table] of parametric?.biasCorrection?.tables ?? []) original.set(correctedBiasName(id), table.rows.subarray(0, table.rows.length / table.rowCount));
  }
  let compared = 0;
  let [differenceSq, correctionSq, worst] = [0, 0, 0];
  for (const part of ['encoder', 'decoder'] as const) {
    const [browser, fromNode] = [correctedBiases(corrected[part]), correctedBiases(nodeFiles[part].bytes)];
    expect([...browser.keys()].sort()).toEqual([...fromNode.keys()].sort());
    for (const [name, bias] of browser) {
      const [other, own] = [fromNode.get(name)!, original.get(name)!];
      for (let i = 0; i < bias.length; i++) {
        differenceSq += (bias[i] - other[i]) ** 2;
        correctionSq += (other[i] - own[i]) ** 2;
        worst = Math.max(worst, Math.abs(bias[i] - other[i]));
      }
      compared++;
    }
  }
  const relative = Math.sqrt(differenceSq / correctionSq);
  console.info(`corrected biases: ${compared} tensors; browser vs Node: max |Δ| ${worst.toExponential(2)}, ‖Δ‖ = ${relative.toExponential(2)} × ‖correction‖`);
  expect(compared).toBeGreaterThan(20);
  // The means come from onnxruntime-web here and onnxruntime-node there: an activation a float's last bit apart
  // may round to the next step, which moves a mean by a step over the count. Far below the correction itself.
  expect(relative).toBeLessThan(0.01);
});
