/**
 * A WASM heap only grows: the analysis worker is ended once its run is over (done or cancelled), so the
 * memory a large encoder's analysis took goes back, and the next Analyze starts a fresh worker that works.
 */
import { expect, test } from './fixtures';
import { chooseFastAnalysis, openStudio } from './studioPage';

test.describe.configure({ timeout: 420_000 });

test('the analysis worker ends after a finished and after a cancelled run, and the next run starts a fresh one', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the worker lifecycle does not depend on the backend');
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  const analysisWorkers = () => page.workers().filter((worker) => /analysis/i.test(worker.url()));
  await chooseFastAnalysis(page, 1, 2);

  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect.poll(() => analysisWorkers().length, { timeout: 60_000 }).toBe(1);
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect.poll(() => analysisWorkers().length, { timeout: 10_000 }).toBe(0);

  // A different run (more prompts), cancelled once probing starts: its worker ends too.
  await chooseFastAnalysis(page, 1, 3);
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect.poll(() => analysisWorkers().length, { timeout: 60_000 }).toBe(1);
  await expect(page.getByTestId('analysis-progress')).toHaveAttribute('data-phase', 'probing', { timeout: 120_000 });
  await view.getByRole('button', { name: 'Cancel' }).click();
  await expect(view).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });
  await expect.poll(() => analysisWorkers().length, { timeout: 10_000 }).toBe(0);

  // The next Analyze resumes in a fresh worker and completes.
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  await expect.poll(() => analysisWorkers().length, { timeout: 10_000 }).toBe(0);
});
