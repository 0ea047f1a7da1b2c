import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { clickImagePixel, dropFiles, openStudio, readStage, waitForEncodedImage } from './studioPage';
import { discPngBytes } from './tinyFiles';

const demoFile = (name: string) => new Uint8Array(readFileSync(new URL(`../public/models/demo-sam/${name}`, import.meta.url)));

test('model parts dropped one at a time are told apart by their names and shapes, then segment', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'file handling does not depend on the backend');
  await openStudio(page, 'wasm');
  const card = page.getByTestId('model-card');

  // File names say nothing: detection reads the graphs. Decoder first, then encoder.
  await dropFiles(page, [{ name: 'part-b.onnx', type: '', bytes: demoFile('decoder.onnx') }]);
  await expect(card).toContainText(/Decoder\s*part-b\.onnx/);
  await expect(card).toHaveAttribute('data-status', 'ready');
  await dropFiles(page, [{ name: 'part-a.onnx', type: '', bytes: demoFile('encoder.onnx') }]);
  await expect(card).toContainText(/Encoder\s*part-a\.onnx/);
  await expect(card).toContainText('Your model');
  await expect(card).toHaveAttribute('data-status', 'ready');

  await dropFiles(page, [{ name: 'disc.png', type: 'image/png', bytes: discPngBytes(200, 150) }]);
  await page.getByTestId('thumbnail').filter({ hasText: 'disc.png' }).click();
  await waitForEncodedImage(page);
  await clickImagePixel(page, 100, 75);
  expect((await readStage(page)).maskArea).toBeGreaterThan(0);
});
