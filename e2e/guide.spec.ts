/**
 * The method guide: the header opens it; a "?" beside a term opens it at that term's section; the terms carry
 * a plain-words tooltip; Escape or Close puts the page back.
 */
import { expect, test } from './fixtures';
import { openStudio } from './studioPage';

const shots = process.env.INPUT_SHOTS ?? null;

test('the guide opens from the header and from the terms it explains', async ({ page }) => {
  await openStudio(page, 'wasm');
  const guide = page.getByRole('dialog', { name: 'How Mix-QSAM works' });
  await expect(guide).toBeHidden();

  await page.getByRole('button', { name: 'How it works' }).click();
  await expect(guide).toBeVisible();
  await expect(guide.getByRole('heading', { name: 'Importance Ω' })).toBeVisible();
  await expect(guide).toContainText('switches one unit off');
  await expect(guide.getByRole('region', { name: 'Synergy Ŝ' })).toContainText('Ŝ·|Δb|');
  if (shots) await page.screenshot({ path: `${shots}/guide-overview.png` });
  await page.keyboard.press('Escape');
  await expect(guide).toBeHidden();

  // The "?" beside λ: its tooltip says what λ does; a click opens the guide at λ, in view and marked.
  const lambdaLink = page.getByRole('button', { name: 'What is λ?' });
  await lambdaLink.scrollIntoViewIfNeeded();
  await expect(lambdaLink).toHaveAttribute('title', /pushed to the same width/);
  await lambdaLink.click();
  const lambdaSection = guide.getByRole('region', { name: 'λ, the synergy weight' });
  await expect(lambdaSection).toBeInViewport();
  await expect(lambdaSection).toHaveClass(/guide-current/);
  await expect(lambdaSection).toContainText('raw λ');
  if (shots) await page.screenshot({ path: `${shots}/guide-lambda.png` });
  await guide.getByRole('button', { name: 'Close the guide' }).click();
  await expect(guide).toBeHidden();

  // The jargon of the settings reads in words where it stands.
  await expect(page.getByLabel('Sensitivity mode').locator('option[value="fast"]')).toHaveText(/^fast \(measure \d & \d bits, estimate the rest\)$/);
  await expect(page.getByLabel('Sensitivity mode')).toHaveAttribute('title', /only one unit is quantized/);
  await expect(page.getByTestId('bops-budget-value')).toHaveAttribute('title', /hence bits²/);
  await expect(page.locator('label', { hasText: 'floors 95%' })).toHaveAttribute('title', /at least 95% of each budget/);
  await page.getByRole('button', { name: 'What is calibrate per width?' }).click();
  await expect(guide.getByRole('region', { name: 'Calibration' })).toBeInViewport();
});
