/**
 * The day's order on one screen at 1280×800: every step's state and its next action are in view without
 * scrolling, a step's button brings its panel into view, and the mixed-precision preview of a click sits
 * beside the image it was made on.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { analyseFast, clickImagePixel, openStudio, waitForEncodedImage } from './studioPage';

const STEPS = ['model', 'images', 'analyze', 'budget', 'evaluate', 'export'];

async function expectInViewport(page: Page, locator: Locator): Promise<void> {
  const viewport = page.viewportSize()!;
  await expect
    .poll(async () => {
      const box = await locator.boundingBox();
      return box !== null && box.y >= 0 && box.x >= 0 && box.y + Math.min(box.height, 40) <= viewport.height && box.x + box.width <= viewport.width;
    })
    .toBe(true);
}

const step = (page: Page, id: string) => page.locator(`[data-testid="day-step"][data-step="${id}"]`);

test('the day’s steps, their state and the next action stay in view at 1280×800', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'layout once');
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await openStudio(page, 'wasm');

  for (const id of STEPS) await expectInViewport(page, step(page, id));
  await expect(step(page, 'model')).toHaveAttribute('data-tone', 'done');
  await expect(step(page, 'model').getByTestId('day-step-state')).toHaveText('demo-sam');
  await expect(step(page, 'images').getByTestId('day-step-state')).toHaveText('6 images · samples');
  // Before any analysis the next move is Analyze, and the later steps say what they wait for.
  await expect(step(page, 'analyze')).toHaveAttribute('aria-current', 'step');
  await expect(step(page, 'budget')).toHaveAttribute('data-tone', 'waiting');
  await expect(step(page, 'export').getByTestId('day-step-state')).toHaveText('after the budget');
  await page.screenshot({ path: testInfo.outputPath('1-start.png') });

  await analyseFast(page, 1, 4);
  await expect(step(page, 'analyze').getByTestId('day-step-state')).toHaveText(/^\d+ units measured$/);
  await expect(step(page, 'budget').getByTestId('day-step-state')).toHaveText(/^\d\.\d\d bits · optimal$/);
  await expect(step(page, 'evaluate')).toHaveAttribute('aria-current', 'step');
  for (const id of STEPS) await expectInViewport(page, step(page, id));
  await page.screenshot({ path: testInfo.outputPath('2-analysed.png') });

  // A click on the image: its FP and mixed masks are beside it, in view, with no scrolling.
  await waitForEncodedImage(page);
  await clickImagePixel(page, 128, 128);
  const preview = page.getByTestId('quant-preview');
  await expect(preview).toHaveAttribute('data-status', 'ready');
  await expectInViewport(page, preview.getByTestId('preview-mixed'));
  await page.screenshot({ path: testInfo.outputPath('3-preview.png') });

  // Each later step's button brings its panel into view, below the fold before.
  const evaluate = page.getByTestId('evaluate-view');
  const exportView = page.getByTestId('export-view');
  expect((await exportView.boundingBox())!.y).toBeGreaterThan(800);
  await step(page, 'evaluate').click();
  await expectInViewport(page, evaluate.getByRole('button', { name: 'Evaluate' }));
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate).toHaveAttribute('data-status', 'done');
  await expect(step(page, 'evaluate').getByTestId('day-step-state')).toHaveText(/^mIoU vs FP \d\.\d{3}$/);
  await expect(step(page, 'export')).toHaveAttribute('aria-current', 'step');
  await page.screenshot({ path: testInfo.outputPath('4-evaluated.png') });

  await step(page, 'export').click();
  await expectInViewport(page, exportView.getByRole('button', { name: 'Download quantized model' }));
  await step(page, 'budget').click();
  await expectInViewport(page, page.getByTestId('budget-panel').getByLabel('Size budget (average bits per weight)'));
  await step(page, 'analyze').click();
  await expectInViewport(page, page.getByTestId('analysis-view').getByRole('button', { name: 'Analyze' }));
  await page.screenshot({ path: testInfo.outputPath('5-analysis-again.png') });
});
