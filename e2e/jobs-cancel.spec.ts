/**
 * Evaluate and Export run side by side in the quantization worker: each one's Cancel stops that job only,
 * within a couple of seconds, and a cancelled export downloads nothing.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { analyseFast, openStudio } from './studioPage';
import { collectDownloads } from './usersDayFiles';

/** Evaluate on the held-out set: long enough to still run while the export starts and ends. */
async function startHeldOutEvaluation(page: Page, objects: number): Promise<void> {
  const evaluate = page.getByTestId('evaluate-view');
  await evaluate.getByLabel('Evaluation set').selectOption('heldOut');
  await evaluate.getByLabel('Held-out objects').fill(String(objects));
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate.getByTestId('evaluate-progress')).toBeVisible();
}

test('Cancel on Evaluate stops the evaluation within 2 s and the export running beside it completes', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'job handling is the same on every backend');
  test.setTimeout(300_000);
  await openStudio(page, 'wasm');
  await analyseFast(page, 1, 4);
  const evaluate = page.getByTestId('evaluate-view');
  const exportView = page.getByTestId('export-view');
  const downloads = collectDownloads(page, testInfo);
  await startHeldOutEvaluation(page, 120);
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'running');

  const clicked = Date.now();
  await evaluate.getByRole('button', { name: 'Cancel' }).click();
  await expect(evaluate).toHaveAttribute('data-status', 'cancelled', { timeout: 2_000 });
  console.info(`evaluation cancelled after ${Date.now() - clicked} ms`);
  await expect(evaluate.getByRole('button', { name: 'Evaluate' })).toBeEnabled();

  await expect(exportView).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = \S+ on 4 prompts$/);
  await expect.poll(() => downloads.size).toBe(2);
});

test('Cancel on Export returns its card to idle within 2 s, downloads nothing, and the evaluation beside it completes', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'job handling is the same on every backend');
  test.setTimeout(300_000);
  await openStudio(page, 'wasm');
  await analyseFast(page, 1, 4);
  const evaluate = page.getByTestId('evaluate-view');
  const exportView = page.getByTestId('export-view');
  const downloads = collectDownloads(page, testInfo);
  let downloadsStarted = 0;
  page.on('download', () => downloadsStarted++);
  await startHeldOutEvaluation(page, 40);
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'running');

  const clicked = Date.now();
  await exportView.getByRole('button', { name: 'Cancel' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'cancelled', { timeout: 2_000 });
  console.info(`export cancelled after ${Date.now() - clicked} ms`);
  await expect(exportView.getByRole('button', { name: 'Download quantized model' })).toBeEnabled();
  await expect(exportView.getByRole('button', { name: 'Cancel' })).toBeDisabled();
  await expect(exportView.getByTestId('export-progress')).toBeHidden();

  await expect(evaluate).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  const rows = await evaluate.locator('tr[data-plan]').evaluateAll((elements) => elements.map((element) => (element as HTMLElement).dataset.plan));
  expect(rows).toEqual(['fp', 'uniform', 'mixed']);
  // Whatever the cancelled export had done lands nowhere: no file, no verification line.
  await page.waitForTimeout(1_000);
  expect(downloadsStarted).toBe(0);
  expect(downloads.size).toBe(0);
  await expect(exportView.getByTestId('export-verification')).toHaveCount(0);
  await expect(exportView).toHaveAttribute('data-status', 'cancelled');
});
