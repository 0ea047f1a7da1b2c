/**
 * Work survives a reload: the user's model files, images and analysis settings come back (a line says so,
 * with a way to start fresh), and the analysis panel says that the partial analysis stored for exactly
 * these resumes; Analyze then measures only what is missing.
 */
import { readFileSync } from 'node:fs';
import { defaultAnalysisSettings } from '../src/core/analysis/settings';
import { expect, test } from './fixtures';
import { chooseFastAnalysis, dropFiles, openStudio } from './studioPage';
import { discPngBytes } from './tinyFiles';

test.describe.configure({ timeout: 420_000 });

const demo = new URL('../public/models/demo-sam/', import.meta.url);
const onnx = (name: string) => ({ name, type: 'application/octet-stream', bytes: new Uint8Array(readFileSync(new URL(name, demo))) });

test('a reload restores the model, images and settings, and the partial analysis resumes', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'what is kept does not depend on the backend');
  await openStudio(page, 'wasm');
  await expect(page.getByTestId('restored-note')).toHaveCount(0);
  await dropFiles(page, [onnx('encoder.onnx'), onnx('decoder.onnx'), { name: 'disc.png', type: 'image/png', bytes: discPngBytes(256, 256) }]);
  const card = page.getByTestId('model-card');
  await expect(card).toContainText('Your model');
  await expect(card).toHaveAttribute('data-status', 'ready');
  const view = page.getByTestId('analysis-view');
  await chooseFastAnalysis(page, 1, 2);
  await expect(view.getByTestId('analysis-stored-note')).toContainText('Nothing is stored yet for this model, these images and settings');
  await view.getByRole('button', { name: 'Analyze' }).click();
  const progress = page.getByTestId('analysis-progress');
  await expect(progress).toHaveAttribute('data-phase', 'probing', { timeout: 120_000 });
  await expect.poll(async () => Number(await progress.getAttribute('data-done')), { timeout: 120_000 }).toBeGreaterThanOrEqual(5);
  await view.getByRole('button', { name: 'Cancel' }).click();
  await expect(view).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });
  const measured = Number(await progress.getAttribute('data-done'));

  await page.reload();
  await expect(page.getByRole('heading', { name: 'Mix-QSAM Studio' })).toBeVisible();
  const note = page.getByTestId('restored-note');
  await expect(note).toContainText('Restored from your last visit: the model “Your model”, your image and your analysis settings.');
  await expect(card).toHaveAttribute('data-status', 'ready');
  await expect(card).toContainText('Your model');
  await expect(card).toContainText('encoder.onnx');
  await expect(page.getByTestId('thumbnail').filter({ hasText: 'disc.png' })).toBeVisible();
  await expect(view.getByLabel('Images to analyse')).toHaveValue('1');
  await expect(view.getByLabel('Prompts per image')).toHaveValue('2');
  await expect(view.getByLabel('Sensitivity mode')).toHaveValue('fast');
  const stored = view.getByTestId('analysis-stored-note');
  await expect(stored).toContainText('Analyze resumes it and measures only what is missing');
  expect(Number(await stored.getAttribute('data-stored-probes'))).toBeGreaterThanOrEqual(measured);

  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  const stats = page.getByTestId('analysis-stats');
  const reused = Number(await stats.getAttribute('data-probes-reused'));
  const run = Number(await stats.getAttribute('data-probes-run'));
  expect(reused).toBeGreaterThanOrEqual(measured);
  expect(reused + run).toBe(Number(await progress.getAttribute('data-total')));

  // Start fresh: the studio opens as on a first visit (demo model, samples, default settings).
  await note.getByRole('button', { name: 'Start fresh' }).click();
  await expect(page.getByTestId('model-card')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('restored-note')).toHaveCount(0);
  await expect(page.getByTestId('thumbnail')).toHaveCount(6);
  await expect(page.getByTestId('thumbnail').filter({ hasText: 'disc.png' })).toHaveCount(0);
  await expect(card).not.toContainText('Your model');
  await expect(view.getByLabel('Prompts per image')).toHaveValue(String(defaultAnalysisSettings.promptsPerImage));
});
