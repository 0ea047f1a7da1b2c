/**
 * Budgets after Analyze (DESIGN.md "Solving live"): the size slider moved with the mouse and with the keyboard
 * re-solves in the solver worker, the allocation chart changes and the badge settles to "optimal" or a gap;
 * a column click locks a unit; a budget below the smallest reachable size says so.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { analyseFast, openStudio } from './studioPage';

test.use({ viewport: { width: 1280, height: 720 } });
// The analysis (one image, two prompts, fast σ) takes 40 s to 2 min on two shared cores.
test.setTimeout(360_000);

const shots = process.env.BUDGET_SHOTS ?? null;

async function screenshot(page: Page, name: string, target?: Locator): Promise<void> {
  if (!shots) return;
  await (target ?? page).screenshot({ path: `${shots}/${name}.png` });
}

/** Waits until the badge says the answer for what the controls show now is final. */
async function settled(page: Page): Promise<string> {
  const badge = page.getByTestId('solve-badge');
  await expect(badge).toHaveAttribute('data-tone', /^(ok|warn)$/, { timeout: 30_000 });
  return (await badge.textContent()) ?? '';
}

async function shownBits(page: Page): Promise<string> {
  return (await page.locator('svg[data-chart="allocation"]').getAttribute('data-bits')) ?? '';
}

test('budget sliders re-solve live, columns lock, an unreachable budget is explained', async ({ page }) => {
  await openStudio(page, 'wasm');
  await expect(page.getByTestId('importance-chart')).toContainText('Run Analyze to measure importance.');
  await expect(page.getByTestId('solve-badge')).toHaveText('waiting for analysis');
  await screenshot(page, 'before-analysis');

  await analyseFast(page, 1, 2);
  const first = await settled(page);
  expect(first).toMatch(/^(optimal|gap \d)/);
  // The certificate line says who proved the allocation: the instant path's bound, or the exact solver that won.
  const certificate = page.getByTestId('allocation-certificate');
  if (first === 'optimal') {
    await expect(certificate).toHaveText(/^(instant|exact): proven optimal by (HiGHS \(Optimal, gap 0%\)|glpk\.js \(GLP_OPT, gap 0%\)|chain branch and bound|the Lagrangian bound) in /);
  } else {
    await expect(certificate).toHaveText(/^exact: (HiGHS|glpk\.js) stopped \(.+\) after .+; gap ≤ /);
  }
  console.info(`certificate: "${await certificate.textContent()}"`);
  await expect(page.getByTestId('importance-chart')).toHaveAttribute('data-empty', 'false');
  await expect(page.locator('svg[data-chart="importance"] .bars rect').first()).toBeVisible();
  await expect(page.locator('svg[data-chart="pareto"]')).toHaveAttribute('data-points', /^[1-9]\d*$/, { timeout: 30_000 });
  await screenshot(page, 'after-analysis');
  await page.getByTestId('measurements-card').scrollIntoViewIfNeeded();
  await screenshot(page, 'measurements', page.getByTestId('measurements-card'));
  await screenshot(page, 'budget', page.getByTestId('budget-panel'));

  // Drag the size slider with the mouse, from 4 bits down towards 2.6 bits (below the allocation's average, so it binds).
  const slider = page.getByLabel('Size budget (average bits per weight)');
  await slider.scrollIntoViewIfNeeded();
  const value = page.getByTestId('size-budget-value');
  const summary = page.getByTestId('allocation-summary');
  const before = { bits: await shownBits(page), budget: Number(await value.getAttribute('data-bits')), maxSize: Number(await summary.getAttribute('data-max-size-bits')) };
  expect(before.budget).toBe(4);
  const box = (await slider.boundingBox())!;
  const [min, max] = [Number(await slider.getAttribute('min')), Number(await slider.getAttribute('max'))];
  const thumb = 8; // half of Chromium's default range thumb
  const xAt = (bits: number) => box.x + thumb + ((bits - min) / (max - min)) * (box.width - 2 * thumb);
  await page.mouse.move(xAt(before.budget), box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(xAt(2.6), box.y + box.height / 2, { steps: 12 });
  await page.mouse.up();
  const dragged = Number(await value.getAttribute('data-bits'));
  expect(dragged).toBeLessThan(3);
  expect(dragged).toBeGreaterThan(2.2);
  await expect.poll(() => shownBits(page)).not.toBe(before.bits);
  const afterDrag = await settled(page);
  const maxSize = Number(await summary.getAttribute('data-max-size-bits'));
  // The size ceiling is Σp·b̄ (METHOD.md): it scales with the slider, and the allocation stays under it.
  expect(maxSize / dragged).toBeCloseTo(before.maxSize / before.budget, 6);
  expect(Number(await summary.getAttribute('data-size-bits'))).toBeLessThanOrEqual(maxSize * (1 + 1e-9));
  console.info(`size budget ${before.budget} → ${dragged} bits by mouse: badge "${afterDrag}"`);

  // The keyboard moves it too: 20 steps of 0.05 bits up.
  const draggedBits = await shownBits(page);
  await slider.focus();
  for (let k = 0; k < 20; k++) await page.keyboard.press('ArrowRight');
  await expect.poll(async () => Number(await value.getAttribute('data-bits'))).toBeCloseTo(dragged + 1, 6);
  await expect.poll(() => shownBits(page)).not.toBe(draggedBits);
  console.info(`size budget ${dragged} → ${dragged + 1} bits by keyboard: badge "${await settled(page)}"`);

  // Click a column: the unit is fixed at its width, then kept at full precision. A unit with few MACs, so that
  // FP32 (32·32 bits per MAC) still fits the BOPs budget: the decoder's first self-attention q·kᵀ.
  const unitId = 'decoder:/transformer/layers.0/self_attn/MatMul';
  const column = page.locator(`svg[data-chart="allocation"] rect[data-unit="${unitId}"]`);
  const unitIndex = await page.locator('svg[data-chart="allocation"] rect[data-unit]').evaluateAll((rects, id) => rects.findIndex((r) => r.getAttribute('data-unit') === id), unitId);
  expect(unitIndex).toBeGreaterThan(0);
  const width = await column.getAttribute('data-bits');
  await column.click();
  const locked = page.locator(`svg[data-chart="allocation"] rect[data-unit="${unitId}"]`);
  await expect(locked).toHaveAttribute('data-lock', 'fixed');
  await expect(locked).toHaveAttribute('data-bits', width!);
  await settled(page);
  await locked.click();
  await expect(locked).toHaveAttribute('data-lock', 'fp');
  await settled(page);
  await expect(locked).toHaveAttribute('data-bits', 'FP');
  expect((await shownBits(page)).split(',')[unitIndex]).toBe('32');
  await expect(page.getByTestId('lock-list')).toContainText('1 locked unit');
  // Enter on a focused column cycles its lock as a click does.
  const second = page.locator('svg[data-chart="allocation"] rect[data-unit]').nth(1);
  await second.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('svg[data-chart="allocation"] rect[data-unit]').nth(1)).toHaveAttribute('data-lock', 'fixed');
  await settled(page);
  await screenshot(page, 'locked', page.getByTestId('budget-panel'));

  // The narrowest budget cannot be met: the badge says what is reachable, and no bars claim to be current.
  await slider.focus();
  await page.keyboard.press('Home');
  const badge = page.getByTestId('solve-badge');
  await expect(badge).toContainText('infeasible: smallest reachable size');
  await expect(badge).toHaveAttribute('data-tone', 'error');
  await expect(page.locator('svg[data-chart="allocation"]')).toHaveAttribute('data-bits', '');
  await expect(page.getByTestId('budget-panel')).toContainText('No allocation fits');
  await screenshot(page, 'infeasible', page.getByTestId('budget-panel'));
  await page.keyboard.press('End');
  expect(await settled(page)).toMatch(/^(optimal|gap \d)/);
});
