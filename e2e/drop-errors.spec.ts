import { expect, test } from './fixtures';
import { clickImagePixel, dropFiles, openStudio, readStage, waitForEncodedImage, type BackendName } from './studioPage';
import { addModelBytes, discPngBytes } from './tinyFiles';

test('dropped files that are no SAM part or no image get clear errors, and segmentation still works', async ({ page }, testInfo) => {
  await openStudio(page, testInfo.project.name as BackendName);
  const thumbnailsBefore = await page.getByTestId('thumbnail').count();

  await dropFiles(page, [
    { name: 'notes.txt', type: 'text/plain', bytes: new TextEncoder().encode('not a model') },
    { name: 'add.onnx', type: '', bytes: addModelBytes() },
    { name: 'broken.png', type: 'image/png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) },
    { name: 'disc.png', type: 'image/png', bytes: discPngBytes(320, 240) },
  ]);

  const toasts = page.getByTestId('toast');
  await expect(toasts.filter({ hasText: 'Cannot use notes.txt' })).toContainText('Drop SAM model files (.onnx');
  const onnxError = toasts.filter({ hasText: 'Could not use add.onnx' });
  await expect(onnxError).toContainText('“add.onnx” is not a recognized SAM part');
  await expect(onnxError).toContainText('inputs A [1,3] float32, B [1,3] float32; outputs C [1,3] float32');
  await expect(onnxError).toContainText('Expected a SAM encoder');
  await expect(toasts.filter({ hasText: 'Could not read broken.png' })).toBeVisible();

  // The demo model is still loaded and the good image arrived.
  await expect(page.getByTestId('model-card')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('model-card')).toContainText('encoder.onnx');
  await expect(page.getByTestId('thumbnail')).toHaveCount(thumbnailsBefore + 1);

  await page.getByTestId('thumbnail').filter({ hasText: 'disc.png' }).click();
  await waitForEncodedImage(page);
  await clickImagePixel(page, 160, 120);
  const reading = await readStage(page);
  expect(reading.maskArea).toBeGreaterThan(0);
  expect(reading.truthIoU).toBeNull(); // a user's image has no truth
  await page.screenshot({ path: testInfo.outputPath('after-drop.png') });
});
