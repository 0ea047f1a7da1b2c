/**
 * Number fields take what a person types: nothing is clamped mid-typing, the value is used on Enter or when
 * the field is left, a value out of range is refused with a message naming the range, and Escape puts the
 * used value back.
 */
import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import { openStudio } from './studioPage';

const shots = process.env.INPUT_SHOTS ?? null;

async function screenshot(name: string, target: Locator): Promise<void> {
  if (shots) await target.screenshot({ path: `${shots}/${name}.png` });
}

/** Clicks at the end of the field's text, as a person about to correct it would. */
async function clickAtEnd(field: Locator): Promise<void> {
  await field.click();
  await field.press('End');
}

test('analysis and evaluation fields keep what was typed and use it on leaving the field', async ({ page }) => {
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  const images = view.getByLabel('Images to analyse');
  const prompts = view.getByLabel('Prompts per image');
  const cost = view.getByTestId('analysis-cost');
  // The demo brings 6 sample images; T = 8 by default, so the field shows the 6 that will run.
  await expect(images).toHaveValue('6');
  await expect(prompts).toHaveValue('16');

  // Backspace, Backspace, 5: the field reads 5 while typing (it used to snap to 1 and then read 15 or 6).
  await clickAtEnd(images);
  await page.keyboard.press('Backspace');
  await expect(images).toHaveValue('');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('5');
  await expect(images).toHaveValue('5');
  await clickAtEnd(prompts);
  await page.keyboard.press('Backspace');
  await expect(prompts).toHaveValue('1');
  await page.keyboard.press('Backspace');
  await expect(prompts).toHaveValue('');
  await page.keyboard.type('5');
  await expect(prompts).toHaveValue('5');
  await page.keyboard.press('Tab');
  await expect(images).toHaveValue('5');
  await expect(prompts).toHaveValue('5');
  // The analysis that would run counts 5 images of 5 prompts.
  await expect(cost).toContainText('on 5 images');

  // Out of range: refused with the range, nothing used; Escape puts the used value back.
  await images.fill('40');
  await images.press('Enter');
  const imagesMessage = view.getByRole('alert');
  await expect(imagesMessage).toHaveText('40 is out of range: enter a whole number from 1 to 6. Still 5; Escape puts it back.');
  await expect(images).toHaveValue('40');
  await expect(images).toHaveAttribute('aria-invalid', 'true');
  await expect(cost).toContainText('on 5 images');
  await screenshot('images-refused', view.locator('.analysis-settings'));
  await images.press('Escape');
  await expect(images).toHaveValue('5');
  await expect(view.getByRole('alert')).toHaveCount(0);
  await prompts.fill('2.5');
  await prompts.press('Tab');
  await expect(view.getByRole('alert')).toHaveText('Enter a whole number from 1 to 16. Still 5; Escape puts it back.');
  await prompts.fill('3');
  await expect(view.getByRole('alert')).toHaveCount(0);
  await prompts.press('Enter');
  await expect(prompts).toHaveValue('3');

  // Held-out objects: "1e9" is refused, not read as 19 or 2000.
  const evaluate = page.getByTestId('evaluate-view');
  await evaluate.getByLabel('Evaluation set').selectOption('heldOut');
  const objects = evaluate.getByLabel('Held-out objects');
  await expect(objects).toHaveValue('120');
  await objects.fill('');
  await objects.pressSequentially('1e9');
  await expect(objects).toHaveValue('1e9');
  await objects.press('Enter');
  await expect(evaluate.getByRole('alert')).toHaveText('1e9 is out of range: enter a whole number from 1 to 2000. Still 120; Escape puts it back.');
  await screenshot('objects-refused', evaluate);
  await objects.press('Escape');
  await expect(objects).toHaveValue('120');
  await objects.fill('300');
  await objects.press('Tab');
  await expect(objects).toHaveValue('300');
  // Used, not only shown: the field comes back with 300 after the set is switched away and back.
  await evaluate.getByLabel('Evaluation set').selectOption('analysed');
  await expect(objects).toHaveCount(0);
  await evaluate.getByLabel('Evaluation set').selectOption('heldOut');
  await expect(objects).toHaveValue('300');
  // Arrow keys step the value, as a number field's would.
  await objects.press('ArrowUp');
  await expect(objects).toHaveValue('301');
});
