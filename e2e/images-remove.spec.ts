/**
 * The user controls the images: × removes one of theirs (from the keyboard too); removing one the analysis
 * used clears that analysis and says so; "Study scenes" and "Clear cache" ask first, saying what goes.
 */
import { expect, test } from './fixtures';
import { analyseFast, dropFiles, openStudio } from './studioPage';
import { discPngBytes, plainPngBytes } from './tinyFiles';

test.describe.configure({ timeout: 420_000 });

test('remove images, and confirm before the strip is replaced or the cache deleted', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the strip does not depend on the backend');
  await openStudio(page, 'wasm');
  const thumbnails = page.getByTestId('thumbnail');
  await expect(thumbnails).toHaveCount(6);
  await dropFiles(page, [
    { name: 'disc.png', type: 'image/png', bytes: discPngBytes(200, 160) },
    { name: 'green.png', type: 'image/png', bytes: plainPngBytes(120, 90, [90, 160, 90]) },
  ]);
  await expect(thumbnails).toHaveCount(8);
  await expect(page.locator('.images-count')).toHaveText('8');
  // Only the user's images have a remove button; samples have none.
  await expect(page.getByRole('button', { name: /^Remove / })).toHaveCount(2);

  // From the keyboard: Tab reaches the button, Enter removes the image (not used by any analysis: no question).
  await thumbnails.filter({ hasText: 'green.png' }).focus();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Remove green.png' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(thumbnails.filter({ hasText: 'green.png' })).toHaveCount(0);
  await expect(page.locator('.images-count')).toHaveText('7');

  // An analysis of the user's image (it comes first).
  await analyseFast(page, 1, 2);
  const table = page.getByTestId('analysis-table');
  await expect(table).toBeVisible();

  // Clear cache asks; Cancel keeps the results.
  const view = page.getByTestId('analysis-view');
  await view.getByRole('button', { name: 'Clear cache' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete every stored analysis?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Every probe measured in this browser');
  await expect(dialog).toContainText('the analysis shown here is cleared');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(table).toBeVisible();

  // Study scenes asks, naming the user's images; Escape keeps everything.
  await page.getByRole('button', { name: 'Study scenes' }).click();
  const replace = page.getByRole('dialog', { name: 'Replace the images with the study scenes?' });
  await expect(replace).toContainText('The 7 images in the strip are replaced');
  await expect(replace).toContainText('Your images (disc.png) are removed');
  await expect(replace).toContainText('The analysis was measured on these images');
  await page.keyboard.press('Escape');
  await expect(replace).toBeHidden();
  await expect(thumbnails).toHaveCount(7);
  await expect(table).toBeVisible();

  // Removing the analysed image asks, then clears the analysis and says why.
  await page.getByRole('button', { name: 'Remove disc.png' }).click();
  const remove = page.getByRole('dialog', { name: 'Remove disc.png?' });
  await expect(remove).toContainText('removing it clears the analysis');
  await remove.getByRole('button', { name: 'Remove image' }).click();
  await expect(thumbnails).toHaveCount(6);
  await expect(table).toHaveCount(0);
  await expect(page.getByTestId('toast').filter({ hasText: 'The analysis was cleared' })).toContainText('It was measured on disc.png');
  await expect(page.getByTestId('solve-badge')).toHaveText('waiting for analysis');

  // Study scenes, confirmed: the quality study's four scenes replace the samples.
  await page.getByRole('button', { name: 'Study scenes' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Replace images' }).click();
  await expect(thumbnails).toHaveCount(4);
  await expect(thumbnails.first()).toContainText('Calibration 500001');

  // Clear cache, confirmed: stored probes are gone, so the next run measures everything.
  await view.getByRole('button', { name: 'Clear cache' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete stored analyses' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
});
