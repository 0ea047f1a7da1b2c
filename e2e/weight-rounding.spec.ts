/**
 * GPTQ weight rounding as a person chooses it: picked in the analysis form, the export rounded with it is
 * verified against its simulation in the browser, and its downloaded weights are GPTQ's (the codes Node's
 * own GPTQ gives on the same calibration image), not the nearest ones a second export with "nearest" writes.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Page, TestInfo } from '@playwright/test';
import { prepareSam, type PreparedSam } from '../src/core/analysis/analysisModel';
import { promptsOfImage } from '../src/core/analysis/analysisKeys';
import { defaultAnalysisSettings } from '../src/core/analysis/settings';
import { buildRoundedSamParametric } from '../src/core/evaluate/quantizedSam';
import { exportQuantizedSam } from '../src/core/evaluate/samExport';
import { readIntTensor } from '../src/core/onnx/tensor';
import { decodeModel } from '../src/core/onnx/proto';
import type { OrtModule } from '../src/core/onnx/ort';
import { DEFAULT_WEIGHT_BITS } from '../src/core/quant/parametric';
import { analysisImageOf } from '../src/state/analysisImages';
import { buildSampleImages } from '../src/state/sampleImages';
import { expect, test } from './fixtures';
import { chooseFastAnalysis, openStudio } from './studioPage';
import { collectDownloads, demoModelFile, storedCalibration } from './usersDayFiles';

/** Weight codes of an exported graph: by the name of the node that dequantizes them. */
function weightCodes(bytes: Uint8Array): Map<string, Int32Array> {
  const graph = decodeModel(bytes).graph!;
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const codes = new Map<string, Int32Array>();
  for (const node of graph.node ?? []) {
    if (node.opType !== 'DequantizeLinear' || !node.name?.endsWith('/weight/DequantizeLinear')) continue;
    const tensor = byName.get(node.input![0]);
    if (tensor) codes.set(node.name, Int32Array.from(readIntTensor(tensor)));
  }
  return codes;
}

function agreement(a: Map<string, Int32Array>, b: Map<string, Int32Array>): number {
  let same = 0;
  let total = 0;
  for (const [name, codes] of a) {
    const other = b.get(name)!;
    expect(other.length).toBe(codes.length);
    for (let i = 0; i < codes.length; i++) same += codes[i] === other[i] ? 1 : 0;
    total += codes.length;
  }
  expect(total).toBeGreaterThan(0);
  return same / total;
}

async function exportOnce(page: Page, testInfo: TestInfo, shot: string, rounding: string): Promise<{ encoder: Uint8Array; allocation: Record<string, number | null> }> {
  const exportView = page.getByTestId('export-view');
  const downloads = collectDownloads(page, testInfo);
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = \S+ on \d+ prompts$/);
  await expect(exportView.getByTestId('export-verification-detail')).toContainText(`weights rounded ${rounding}`);
  await exportView.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath(shot) });
  await expect.poll(() => downloads.size, { timeout: 60_000 }).toBe(2);
  const allocation = Object.fromEntries(JSON.parse((await exportView.getAttribute('data-allocation-key'))!) as [string, number | null][]);
  return { encoder: new Uint8Array(readFileSync(downloads.get('encoder.mixed-precision.onnx')!)), allocation };
}

test('GPTQ rounding chosen in the form: its export is verified, and its weights are GPTQ’s, not the nearest ones', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the same worker code on every backend');
  test.setTimeout(900_000);
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  await chooseFastAnalysis(page, 1, 4);
  await view.getByLabel('Weight rounding').selectOption('gptq');
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await page.screenshot({ path: testInfo.outputPath('1-gptq-chosen.png') });
  const gptq = await exportOnce(page, testInfo, '2-gptq-exported.png', 'by GPTQ');

  // Back to nearest: the results say their settings changed; Analyze again reads every probe from the store.
  await view.getByLabel('Weight rounding').selectOption('nearest');
  await expect(page.getByTestId('analysis-drift-note')).toContainText('GPTQ rounding');
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('analysis-drift-note')).toHaveCount(0);
  const nearest = await exportOnce(page, testInfo, '3-nearest-exported.png', 'to nearest');
  expect(nearest.allocation).toEqual(gptq.allocation);

  // In Node: GPTQ on the same calibration image (the first sample scene, its true boxes as prompts).
  const files = { encoder: demoModelFile('encoder.onnx').bytes, decoder: demoModelFile('decoder.onnx').bytes, config: { inputSize: 256, lowResSize: 64 } };
  const sam: PreparedSam = prepareSam(files);
  const settings = { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 4 };
  const [sample] = buildSampleImages();
  const entry = analysisImageOf({ name: sample.name, pixels: sample.pixels, truth: sample.truth });
  const items = [{ image: entry.image, prompts: promptsOfImage(entry, settings) }];
  const facts = await storedCalibration(page);
  const ortModule = ort as unknown as OrtModule;
  const node = await buildRoundedSamParametric({ ort: ortModule, sam, facts, weightBits: DEFAULT_WEIGHT_BITS, rounding: 'gptq', items });
  const nodeFile = exportQuantizedSam(sam, node, gptq.allocation, { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength }).encoder.bytes;

  const [browserGptq, browserNearest, nodeGptq] = [weightCodes(gptq.encoder), weightCodes(nearest.encoder), weightCodes(nodeFile)];
  const withNode = agreement(browserGptq, nodeGptq);
  const withNearest = agreement(browserGptq, browserNearest);
  console.info(`encoder weight codes: browser GPTQ = Node GPTQ on ${(100 * withNode).toFixed(3)} %, = nearest on ${(100 * withNearest).toFixed(2)} %`);
  // The Hessians come from onnxruntime-web here and onnxruntime-node there: float sums may differ in their last
  // bits and flip a rare tie, nothing more.
  expect(withNode).toBeGreaterThan(0.999);
  expect(withNearest).toBeLessThan(0.99);
});
