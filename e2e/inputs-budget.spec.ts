/**
 * After Analyze: the size budget typed in MB is refused out of range (1e9 used to be taken); the same size and
 * λ read the same on the page and in the downloaded report.html; a notice toast sits beside the controls, not
 * over the Export buttons, and closes by itself.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { withOtherWeights } from '../src/core/onnx/otherWeights';
import { expect, test } from './fixtures';
import { analyseFast, dropFiles, openStudio, type DroppedFile } from './studioPage';

test.setTimeout(360_000);
const shots = process.env.INPUT_SHOTS ?? null;

const demoBytes = (name: string) => new Uint8Array(readFileSync(new URL(`../public/models/demo-sam/${name}`, import.meta.url)));

async function settled(page: Page): Promise<void> {
  await expect(page.getByTestId('solve-badge')).toHaveAttribute('data-tone', /^(ok|warn)$/, { timeout: 30_000 });
}

async function reportHtml(page: Page, path: string): Promise<string> {
  const downloaded = page.waitForEvent('download');
  await page.getByTestId('export-view').getByRole('button', { name: 'report.html' }).click();
  await (await downloaded).saveAs(path);
  return readFileSync(path, 'utf8');
}

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

test('sizes typed and shown in MB, λ in the page and the report, toasts beside the controls', async ({ page }, testInfo) => {
  await openStudio(page, 'wasm');
  await analyseFast(page, 1, 2);
  await settled(page);
  const panel = page.getByTestId('budget-panel');
  const megabytes = panel.getByLabel('Size budget in MB');
  const bits = page.getByTestId('size-budget-value');
  await megabytes.scrollIntoViewIfNeeded();
  await expect(bits).toHaveAttribute('data-bits', '4');
  const shownText = await megabytes.inputValue();
  const shownMegabytes = Number(shownText);
  expect(shownMegabytes).toBeGreaterThan(0);

  // 1e9 MB is refused with the range the slider reaches; the budget stays at 4 bits.
  await megabytes.fill('1e9');
  await megabytes.press('Enter');
  const message = panel.getByRole('alert');
  await expect(message).toHaveText(/^1e9 MB is out of range: enter a number from \d+(\.\d+)? to \d+(\.\d+)? MB\. Still \d/);
  await expect(megabytes).toHaveValue('1e9');
  await expect(bits).toHaveAttribute('data-bits', '4');
  if (shots) await panel.screenshot({ path: `${shots}/megabytes-refused.png` });
  await megabytes.press('Escape');
  await expect(megabytes).toHaveValue(shownText);
  await expect(message).toHaveCount(0);
  // A size in range is taken on leaving the field: 90% of the MB is 90% of the average bits.
  const typed = (shownMegabytes * 0.9).toFixed(3);
  await megabytes.fill(typed);
  await megabytes.press('Tab');
  await expect.poll(async () => Number(await bits.getAttribute('data-bits'))).toBeCloseTo(3.6, 2);
  await settled(page);

  // λ: the slider's value is on the objective's scale and says so; the raw λ beside it is the report's.
  const rawText = (await panel.getByTestId('lambda-raw').textContent()) ?? '';
  const rawMatch = /^scaled · raw λ ([\d.e+-]+)$/.exec(rawText);
  expect(rawMatch, rawText).not.toBeNull();
  // The size the gauge shows for the allocation.
  const gaugeText = (await page.locator('svg g[data-gauge="Size"] text').allTextContents()).find((text) => text.includes(' MB · ')) ?? '';
  const pageSize = /^(\d+(?:\.\d+)? MB) · /.exec(gaugeText)?.[1];
  expect(pageSize, gaugeText).toBeDefined();

  const html = await reportHtml(page, testInfo.outputPath('report.html'));
  expect(html).toContain(`<dt>Size</dt><dd>${pageSize} · `);
  const reportLambda = Number(/<dt>λ \(raw, as in the objective\)<\/dt><dd>([^<]+)<\/dd>/.exec(html)?.[1]);
  expect(reportLambda / Number(rawMatch![1])).toBeCloseTo(1, 2);
  console.info(`size ${pageSize} on the page and in the report; raw λ ${rawMatch![1]} (page) / ${reportLambda} (report)`);

  // Another model: the notice appears above the image, clear of the Export buttons, and goes by itself.
  const other: DroppedFile[] = [
    { name: 'other-encoder.onnx', type: '', bytes: withOtherWeights(demoBytes('encoder.onnx')) },
    { name: 'other-decoder.onnx', type: '', bytes: withOtherWeights(demoBytes('decoder.onnx')) },
  ];
  await dropFiles(page, other);
  const notice = page.getByTestId('toast').filter({ hasText: 'Another model is loaded' });
  await expect(notice).toBeVisible();
  const exportView = page.getByTestId('export-view');
  await exportView.scrollIntoViewIfNeeded();
  const noticeBox = (await notice.boundingBox())!;
  for (const button of await exportView.getByRole('button').all()) {
    const box = (await button.boundingBox())!;
    expect(overlaps(noticeBox, box), `toast ${JSON.stringify(noticeBox)} over ${await button.textContent()} ${JSON.stringify(box)}`).toBe(false);
  }
  if (shots) await page.screenshot({ path: `${shots}/toast-notice.png` });
  const shownAt = Date.now();
  await expect(notice).toHaveCount(0, { timeout: 20_000 });
  const lastedMs = Date.now() - shownAt;
  expect(lastedMs).toBeGreaterThan(3_000);
  console.info(`the notice closed by itself after ≈ ${(lastedMs / 1000).toFixed(1)} s`);
});
