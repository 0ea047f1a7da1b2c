/**
 * Finished analysis results are never thrown away by accident: a re-run that is cancelled leaves them (and
 * the budget computed from them) in place, marked with what they were computed from; a click on the user's
 * image changes the preview only, so the stored probes of the run are reused.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { analyseFast, clickImagePixel, dropFiles, openStudio, waitForEncodedImage } from './studioPage';
import { discPngBytes } from './tinyFiles';

test.describe.configure({ timeout: 420_000 });

test.beforeEach(({ browserName: _browserName }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'what is kept does not depend on the backend');
});

/** The table's rows at full precision (data attributes), to compare before and after. */
function tableRows(page: Page): Promise<string[]> {
  return page
    .getByTestId('analysis-table')
    .locator('tr[data-unit]')
    .evaluateAll((rows) => rows.map((row) => `${(row as HTMLElement).dataset.unit} ${(row as HTMLElement).dataset.importance} ${(row as HTMLElement).dataset.sensitivity}`));
}

test('Analyze again, then Cancel: the finished analysis, its chart and its budget stay', async ({ page }) => {
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  await analyseFast(page, 1, 2);
  const before = await tableRows(page);
  expect(before.length).toBeGreaterThan(0);
  const badge = page.getByTestId('solve-badge');
  await expect(badge).toHaveAttribute('data-tone', /^(ok|warn)$/, { timeout: 30_000 });
  await expect(page.getByTestId('analysis-drift-note')).toHaveCount(0);

  // Other settings: a new run key, measured from scratch; cancelled once its probes have started.
  await view.getByLabel('Prompts per image').fill('3');
  await view.getByRole('button', { name: 'Analyze' }).click();
  const progress = page.getByTestId('analysis-progress');
  await expect.poll(async () => Number(await progress.getAttribute('data-done')), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await expect(page.getByTestId('analysis-table')).toBeVisible();
  await view.getByRole('button', { name: 'Cancel' }).click();
  await expect(view).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });

  expect(await tableRows(page)).toEqual(before);
  await expect(page.getByTestId('analysis-drift-note')).toContainText('Shown: the analysis of Sample 1 with T = 1, 2 prompts, fast');
  await expect(page.getByTestId('analysis-drift-note')).toContainText('The settings changed since');
  await expect(page.getByTestId('importance-chart')).toHaveAttribute('data-empty', 'false');
  // The budget still solves on the kept results: a new size budget gets a new answer.
  const summary = page.getByTestId('allocation-summary');
  const sizeBefore = Number(await summary.getAttribute('data-size-bits'));
  const slider = page.getByLabel('Size budget (average bits per weight)');
  await slider.focus();
  for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowLeft');
  await expect(badge).toHaveAttribute('data-tone', /^(ok|warn)$/, { timeout: 30_000 });
  await expect.poll(async () => Number(await summary.getAttribute('data-size-bits'))).toBeLessThan(sizeBefore);
});

test('a click on the user image changes the preview only: Analyze again reuses every stored probe', async ({ page }) => {
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  await dropFiles(page, [{ name: 'disc.png', type: 'image/png', bytes: discPngBytes(256, 256) }]);
  await expect(page.getByTestId('thumbnail').filter({ hasText: 'disc.png' })).toBeVisible();
  // The user's image is analysed first.
  await analyseFast(page, 1, 2);
  const stats = page.getByTestId('analysis-stats');
  const measured = Number(await stats.getAttribute('data-probes-run'));
  expect(measured).toBeGreaterThan(0);

  await page.getByTestId('thumbnail').filter({ hasText: 'disc.png' }).click();
  await waitForEncodedImage(page);
  await clickImagePixel(page, 128, 128);
  await clickImagePixel(page, 30, 200, { shift: true });

  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(stats).toHaveAttribute('data-probes-run', '0');
  await expect(stats).toHaveAttribute('data-probes-reused', String(measured));
  await expect(page.getByTestId('analysis-drift-note')).toHaveCount(0);
});
