/**
 * Prompts by keyboard: Tab reaches the image (with a visible focus ring and the keys' hint), arrow keys move a
 * crosshair, Enter adds a positive point and a mask follows, N a negative one, Backspace takes it back.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { openStudio, readStage, waitForEncodedImage } from './studioPage';

const shots = process.env.INPUT_SHOTS ?? null;

/** Presses Tab until the image has the focus, as a keyboard user would. */
async function tabToImage(page: Page): Promise<void> {
  const surface = page.getByTestId('prompt-surface');
  for (let presses = 0; presses < 60; presses++) {
    if (await surface.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('Tab never reached the image.');
}

test('a prompt added by keyboard produces a mask', async ({ page }) => {
  await openStudio(page, 'wasm');
  await waitForEncodedImage(page);
  const stage = page.getByTestId('image-stage');
  const surface = page.getByTestId('prompt-surface');
  const decodes = async () => Number(await stage.getAttribute('data-decode-count'));
  await expect(page.getByTestId('crosshair')).toHaveCount(0);

  await page.locator('body').click({ position: { x: 5, y: 790 } });
  await tabToImage(page);
  // Focused: a ring around the image, the crosshair at its centre, the keys spelled out.
  await expect(surface).toHaveCSS('outline-style', 'solid');
  await expect(surface).toHaveCSS('outline-width', '3px');
  const crosshair = page.getByTestId('crosshair');
  await expect(crosshair).toHaveAttribute('data-x', '128.5');
  await expect(crosshair).toHaveAttribute('data-y', '128.5');
  await expect(page.getByText('Keys: arrows move the crosshair')).toBeVisible();

  // Two steps right (a 32nd of 256 px each) and one down, then Enter.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await expect(crosshair).toHaveAttribute('data-x', '144.5');
  await expect(crosshair).toHaveAttribute('data-y', '136.5');
  const before = await decodes();
  await page.keyboard.press('Enter');
  await expect(stage).toHaveAttribute('data-decode-count', String(before + 1));
  await expect(page.getByTestId('marker-positive')).toHaveCount(1);
  const positive = await readStage(page);
  expect(positive.maskArea).toBeGreaterThan(0);
  if (shots) await page.screenshot({ path: `${shots}/keyboard-prompt.png` });

  // N: a negative point where the crosshair is now; Backspace takes it back and the mask is recomputed.
  await page.keyboard.press('Shift+ArrowLeft');
  await expect(crosshair).toHaveAttribute('data-x', '112.5');
  await page.keyboard.press('n');
  await expect(stage).toHaveAttribute('data-decode-count', String(before + 2));
  await expect(page.getByTestId('marker-negative')).toHaveCount(1);
  await page.keyboard.press('Backspace');
  await expect(stage).toHaveAttribute('data-decode-count', String(before + 3));
  await expect(page.getByTestId('marker-negative')).toHaveCount(0);
  await expect(page.getByTestId('marker-positive')).toHaveCount(1);
  expect((await readStage(page)).maskArea).toBe(positive.maskArea);
  // The last Backspace leaves no prompt and no mask.
  await page.keyboard.press('Backspace');
  await expect(page.getByTestId('marker-positive')).toHaveCount(0);
  await expect(stage).toHaveAttribute('data-mask-area', '');
});
