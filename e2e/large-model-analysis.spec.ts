/**
 * A large encoder is analysed alone: while its analysis runs, segmenting pauses (the inference worker and its
 * WASM heap are ended) and the image says why; when the analysis ends the model is loaded again and clicks
 * segment as before. The encoder is the demo's with 110 MB of unused weights added, so its size is that of a
 * large export while its analysis stays quick.
 */
import { writeFileSync } from 'node:fs';
import { decodeModel, encodeModelBytes } from '../src/core/onnx/proto';
import { DataType, makeTensor } from '../src/core/onnx/tensor';
import { ANALYSE_ALONE_ENCODER_BYTES } from '../src/core/analysis/analysisCost';
import { expect, test } from './fixtures';
import { chooseFastAnalysis, clickImagePixel, openStudio, waitForEncodedImage } from './studioPage';
import { demoModelFile } from './usersDayFiles';

/** The demo encoder with an unused float initializer making the file `bytes` large. */
function paddedEncoder(bytes: number): Uint8Array {
  const model = decodeModel(demoModelFile('encoder.onnx').bytes);
  const values = new Float32Array(Math.ceil(bytes / 4));
  model.graph!.initializer = [...(model.graph!.initializer ?? []), makeTensor('unused_padding', DataType.FLOAT, [values.length], values)];
  return encodeModelBytes(model);
}

test('a large encoder’s analysis pauses segmenting with the reason, and segmenting comes back after it', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the pause is the same page logic on every backend');
  test.setTimeout(600_000);
  const encoder = paddedEncoder(ANALYSE_ALONE_ENCODER_BYTES + 10 * 1024 * 1024);
  const encoderPath = testInfo.outputPath('large-encoder.onnx');
  const decoderPath = testInfo.outputPath('large-decoder.onnx');
  writeFileSync(encoderPath, encoder);
  writeFileSync(decoderPath, demoModelFile('decoder.onnx').bytes);

  await openStudio(page, 'wasm');
  await page.getByTestId('model-file-input').setInputFiles([encoderPath, decoderPath]);
  const card = page.getByTestId('model-card');
  await expect(card).toContainText(/Encoder\s*large-encoder\.onnx/, { timeout: 120_000 });
  await expect(card).toHaveAttribute('data-status', 'ready');
  await waitForEncodedImage(page);
  await clickImagePixel(page, 128, 128);
  const stage = page.getByTestId('image-stage');
  await expect(stage).toHaveAttribute('data-paused', 'false');

  // Every status the model card shows from here on, as a person watching it would see them.
  await page.evaluate(() => {
    const card = document.querySelector('[data-testid="model-card"]')!;
    const seen: string[] = [card.getAttribute('data-status') ?? ''];
    (window as unknown as { modelStatuses: string[] }).modelStatuses = seen;
    new MutationObserver(() => seen.push(card.getAttribute('data-status') ?? '')).observe(card, { attributes: true, attributeFilter: ['data-status'] });
  });
  await chooseFastAnalysis(page, 1, 2);
  const view = page.getByTestId('analysis-view');
  await view.getByLabel('Units to probe').selectOption('decoder');
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(stage).toHaveAttribute('data-paused', 'true');
  await expect(page.getByTestId('stage-paused')).toHaveText(
    /^Segmenting is paused while the analysis runs: the 1\d\d\.\d MB encoder does not fit in this tab’s memory twice\. It resumes when the analysis ends\.$/,
  );
  // A click meanwhile changes nothing: the surface takes no prompts.
  const decodes = Number(await stage.getAttribute('data-decode-count'));
  await page.getByTestId('prompt-surface').click({ position: { x: 40, y: 40 } });
  await page.screenshot({ path: testInfo.outputPath('1-paused.png') });
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  // Downloading at once works while the model goes back into the inference engine: the model stays ready.
  // The export's check runs the encoder, so segmenting pauses again while it runs.
  const exportView = page.getByTestId('export-view');
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(page.getByTestId('stage-paused')).toHaveText(
    /^Segmenting is paused while the export runs: the 1\d\d\.\d MB encoder does not fit in this tab’s memory twice\. It resumes when the export ends\.$/,
    { timeout: 60_000 },
  );
  await expect(exportView).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  // The check held one encoder at a time, so the encoder was not timed; quality is measured on request.
  await expect(exportView.getByTestId('deployed-latency')).toContainText('Encoder not timed');
  await expect(exportView.getByTestId('export-quality')).toHaveAttribute('data-state', 'unmeasured');
  await expect(exportView.getByTestId('export-verification-detail')).toContainText('the encoder ships unchanged');

  // Resumed: the model is loaded into a fresh worker, the image encoded again and its prompts decoded.
  await expect(stage).toHaveAttribute('data-paused', 'false', { timeout: 120_000 });
  await expect(page.getByTestId('stage-paused')).toHaveCount(0);
  await waitForEncodedImage(page);
  await expect.poll(async () => Number(await stage.getAttribute('data-decode-count')), { timeout: 60_000 }).toBeGreaterThan(decodes);
  expect(await page.evaluate(() => [...new Set((window as unknown as { modelStatuses: string[] }).modelStatuses)])).toEqual(['ready']);
  await clickImagePixel(page, 200, 60);
  await expect(page.getByTestId('quant-preview')).toHaveAttribute('data-status', 'ready', { timeout: 120_000 });
  // The pauses and resumes blamed nothing on the user's files.
  await expect(page.getByTestId('toast')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('2-resumed.png') });
});
