/**
 * Offline once loaded (README): the page stores every file of the build, so the workers that start later
 * (analysis, quantization, allocation) and their WASM load with the network gone. A worker that cannot load
 * says so, the job ends, and the next try works once the file can be loaded again.
 */
import { expect, test } from './fixtures';
import { analyseFast, chooseFastAnalysis, openStudio } from './studioPage';
import { collectDownloads } from './usersDayFiles';

test('after the page has loaded, Analyze, Evaluate and Export run to the end offline', async ({ page, context }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the stored files are the same for every backend');
  test.setTimeout(300_000);
  await openStudio(page, 'wasm');
  // What the page says once every file is stored.
  await expect(page.locator('html')).toHaveAttribute('data-offline', 'ready');
  await context.setOffline(true);
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);

  await analyseFast(page, 1, 4);
  await expect(page.getByTestId('solve-badge')).toHaveAttribute('data-tone', /^(ok|warn)$/);

  const evaluate = page.getByTestId('evaluate-view');
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate).toHaveAttribute('data-status', 'done');
  await expect(evaluate.locator('tr[data-plan="mixed"]')).toHaveCount(1);

  const exportView = page.getByTestId('export-view');
  const downloads = collectDownloads(page, testInfo);
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'done');
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = \S+ on 4 prompts$/);
  await expect.poll(() => downloads.size).toBe(2);
  await exportView.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('offline-exported.png') });
});

test.describe('a worker that cannot load', () => {
  // Requests go to the network (no stored copy), so the route below decides whether the worker loads.
  test.use({ serviceWorkers: 'block' });

  test('Analyze says the worker could not start instead of running for ever, and works on the next try', async ({ page }, testInfo) => {
    test.skip(testInfo.project.name !== 'wasm', 'worker loading is the same for every backend');
    test.setTimeout(240_000);
    const blocked = /\/assets\/analysis\.worker-[^/]*\.js$/;
    await page.route(blocked, (route) => route.fulfill({ status: 404, body: 'not found' }));
    await openStudio(page, 'wasm');
    await chooseFastAnalysis(page, 1, 4);
    const view = page.getByTestId('analysis-view');
    const analyze = view.getByRole('button', { name: 'Analyze' });
    await analyze.click();
    await expect(view).toHaveAttribute('data-status', 'error', { timeout: 15_000 });
    await expect(view.getByText('The analysis worker could not start: its script did not load.')).toBeVisible();
    await expect(analyze).toBeEnabled();
    await expect(view.getByRole('button', { name: 'Cancel' })).toBeDisabled();
    await page.screenshot({ path: testInfo.outputPath('worker-failed.png') });

    // The file is back: the same button runs the analysis to the end.
    await page.unroute(blocked);
    await analyze.click();
    await expect(view).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  });
});
