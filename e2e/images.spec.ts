import { expect, test } from './fixtures';
import { clickImagePixel, dropFiles, openStudio, readStage, waitForEncodedImage } from './studioPage';
import { plainPngBytes, sidewaysJpegBytes } from './tinyFiles';

test('photos are shown upright (EXIF) and huge images are downscaled for display, then segmented', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'image decoding does not depend on the backend');
  await openStudio(page, 'wasm');
  await dropFiles(page, [
    { name: 'phone.jpg', type: 'image/jpeg', bytes: sidewaysJpegBytes(60, 40) },
    { name: 'panorama.png', type: 'image/png', bytes: plainPngBytes(4096, 1024, [90, 160, 90]) },
  ]);

  // Stored 60×40 with Orientation 6: upright it is 40×60, and its dark half is now on top.
  await page.getByTestId('thumbnail').filter({ hasText: 'phone.jpg' }).click();
  const stage = page.getByTestId('image-stage');
  await expect(stage).toHaveAttribute('data-image-width', '40');
  await expect(stage).toHaveAttribute('data-image-height', '60');
  const pixel = (x: number, y: number) =>
    page.locator('.stage canvas').first().evaluate((canvas, [px, py]) => [...(canvas as HTMLCanvasElement).getContext('2d')!.getImageData(px, py, 1, 1).data], [x, y]);
  expect((await pixel(20, 5))[0]).toBeLessThan(80);
  expect((await pixel(20, 55))[0]).toBeGreaterThan(180);

  // 4096×1024 is kept at 2048×512; the toolbar says so.
  await page.getByTestId('thumbnail').filter({ hasText: 'panorama.png' }).click();
  await expect(stage).toHaveAttribute('data-image-width', '2048');
  await expect(stage).toHaveAttribute('data-image-height', '512');
  await expect(page.locator('.stage-toolbar')).toContainText('4096×1024 (shown at 2048×512)');
  await waitForEncodedImage(page);
  await clickImagePixel(page, 1000, 250);
  // The mask comes back at the working size and covers the picture.
  await expect(page.getByTestId('mask-overlay')).toHaveJSProperty('width', 2048);
  await expect(page.getByTestId('mask-overlay')).toHaveJSProperty('height', 512);
  expect(Number.isFinite((await readStage(page)).predictedIoU)).toBe(true);
});
