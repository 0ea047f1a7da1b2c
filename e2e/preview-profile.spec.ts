/**
 * The preview shows what the downloaded file does: a person picks the fast (CPU / WASM) profile in the preview
 * card, the mixed mask is then the fast file's, Evaluate says its rows ran as the simulation until run again,
 * and the downloaded fast file agrees with the preview on every checked prompt (while the card says how far it
 * is from the exact simulation).
 */
import { expect, test } from './fixtures';
import { analyseFast, clickImagePixel, openStudio, waitForEncodedImage } from './studioPage';

test('a fast profile chosen in the preview runs the preview, Evaluate and the export check as that file', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the profile runner is the same worker code on every backend');
  test.setTimeout(600_000);
  await openStudio(page, 'wasm');
  await analyseFast(page, 1, 4);
  await waitForEncodedImage(page);
  await clickImagePixel(page, 128, 128);

  const preview = page.getByTestId('quant-preview');
  const evaluate = page.getByTestId('evaluate-view');
  const card = page.getByTestId('export-view');
  const evaluateStep = page.locator('[data-testid="day-step"][data-step="evaluate"]').getByTestId('day-step-state');
  await expect(preview).toHaveAttribute('data-status', 'ready');
  await expect(preview).toHaveAttribute('data-profile', 'exact');
  await expect(preview.getByTestId('preview-mixed')).toContainText('Mixed precision');
  const simulatedIoU = Number(await preview.getAttribute('data-iou'));

  // Evaluated as the simulation first.
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect(evaluate).toContainText('quantized rows run as the simulation');
  const simulatedMixed = await evaluate.locator('tr[data-plan="mixed"]').innerText();

  // One choice for the studio: picking the fast profile in the preview card is the Export card's profile too.
  const count = Number(await preview.getAttribute('data-count'));
  await preview.getByTestId('preview-profile').selectOption({ label: 'fast (CPU / WASM) file' });
  await expect(card.getByTestId('export-profile')).toHaveValue('fast-cpu');
  await expect.poll(async () => Number(await preview.getAttribute('data-count')), { timeout: 120_000 }).toBeGreaterThan(count);
  await expect(preview).toHaveAttribute('data-status', 'ready');
  await expect(preview).toHaveAttribute('data-profile', 'fast-cpu');
  await expect(preview.getByTestId('preview-mixed')).toContainText('Mixed · fast (CPU / WASM) file');
  const fileIoU = Number(await preview.getAttribute('data-iou'));
  console.info(`preview IoU(FP, mixed): simulation ${simulatedIoU.toFixed(3)}, fast-cpu file ${fileIoU.toFixed(3)}`);

  // The evaluation ran the simulation: the card and the day's step say so, and a new run scores the file.
  await expect(evaluate.getByTestId('evaluate-other-profile')).toHaveText(
    'These rows ran as the simulation; the model now runs as the fast (CPU / WASM) file: Evaluate again to score it.',
  );
  await expect(evaluateStep).toHaveText('profile changed: evaluate again');
  await preview.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('1-fast-preview.png') });
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect(evaluate).toContainText('quantized rows run as the fast (CPU / WASM) file');
  await expect(evaluate.getByTestId('evaluate-other-profile')).toHaveCount(0);
  await expect(evaluateStep).toHaveText(/^mIoU vs FP \d\.\d{3}$/);
  const fileMixed = await evaluate.locator('tr[data-plan="mixed"]').innerText();
  console.info(`Evaluate mixed row: simulation "${simulatedMixed}", fast-cpu file "${fileMixed}"`);
  expect(fileMixed).not.toBe(simulatedMixed);

  // Downloaded: the file as deployed shows the preview's mask on every prompt, and the card says how far it is
  // from the exact simulation.
  await card.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(card).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  const check = card.getByTestId('deployed-check');
  await expect(check).toContainText('Close to the preview: masks vs the preview’s mIoU 1.000');
  expect(Number(await check.getAttribute('data-miou'))).toBe(1);
  await expect(check).toHaveAttribute('data-below', '0');
  const vsSimulation = check.getByTestId('deployed-vs-simulation');
  await expect(vsSimulation).toContainText('The preview ran this file. Against the exact simulation');
  const simulationMiou = Number(await vsSimulation.getAttribute('data-miou'));
  console.info(`fast-cpu file vs the exact simulation: mIoU ${simulationMiou.toFixed(3)}`);
  expect(simulationMiou).toBeLessThan(0.999);
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('2-fast-export.png') });
});
