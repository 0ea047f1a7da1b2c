/**
 * The export card says both what "Verified" means (the files equal the simulation) and how good the exported
 * model is: the allocation's mIoU, measured after the export when it was not yet, with a warning when the
 * masks collapse.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { analyseFast, openStudio } from './studioPage';

async function chooseWidths(page: Page, widths: string): Promise<void> {
  const budget = page.getByTestId('budget-panel');
  await budget.getByLabel('Candidate widths', { exact: true }).selectOption('custom');
  const custom = budget.getByLabel('Custom candidate widths');
  await custom.fill(widths);
  await expect(budget.getByTestId('solve-badge')).toHaveAttribute('data-tone', /^(ok|warn)$/);
}

async function exportAndMeasure(page: Page): Promise<{ miouFp: number; state: string }> {
  const exportView = page.getByTestId('export-view');
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  await expect(exportView).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(exportView.getByTestId('export-verification')).toHaveText(/^Verified: max \|Δ\| = \S+ on 4 prompts$/);
  const quality = exportView.getByTestId('export-quality');
  // Not evaluated yet for this allocation: the card measures it by itself.
  await expect(quality).toHaveAttribute('data-state', /^(collapsed|measured)$/, { timeout: 120_000 });
  await expect(page.getByTestId('evaluate-view')).toHaveAttribute('data-status', 'done');
  return { miouFp: Number(await quality.getAttribute('data-miou-fp')), state: (await quality.getAttribute('data-state'))! };
}

test('an export at 2 bits warns that its quality collapsed; at 4 bits the card shows its mIoU without a warning', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the card reads the same on every backend');
  test.setTimeout(300_000);
  await openStudio(page, 'wasm');
  await analyseFast(page, 1, 4);
  const exportView = page.getByTestId('export-view');

  // Every unit at 2 bits: the files equal the simulation, and the simulation is useless.
  await chooseWidths(page, '2');
  const low = await exportAndMeasure(page);
  expect(low.state).toBe('collapsed');
  expect(low.miouFp).toBeLessThan(0.5);
  await expect(exportView.getByRole('alert')).toContainText('Quality collapsed');
  await expect(exportView.getByTestId('export-quality')).toContainText(new RegExp(`^Preview quality \\(Evaluate\\): mIoU vs full precision ${low.miouFp.toFixed(3)} on \\d+ analysed prompts`));
  // The evaluation table shows the same number for the mixed row.
  const mixedRow = page.getByTestId('evaluate-view').locator('tr[data-plan="mixed"]');
  expect(Number(await mixedRow.getAttribute('data-miou-fp'))).toBe(low.miouFp);
  await exportView.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('export-2-bits.png') });

  // The studio's default widths at the default 4-bit budget.
  await page.getByTestId('budget-panel').getByLabel('Candidate widths', { exact: true }).selectOption('W4A4');
  await expect(page.getByTestId('budget-panel').getByTestId('solve-badge')).toHaveAttribute('data-tone', /^(ok|warn)$/);
  const normal = await exportAndMeasure(page);
  expect(normal.state).toBe('measured');
  expect(normal.miouFp).toBeGreaterThanOrEqual(0.5);
  await expect(exportView.getByRole('alert')).toHaveCount(0);
  await expect(exportView.getByTestId('export-quality')).toContainText(new RegExp(`^Preview quality \\(Evaluate\\): mIoU vs full precision ${normal.miouFp.toFixed(3)} on \\d+ analysed prompts`));
  await exportView.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('export-4-bits.png') });
});
