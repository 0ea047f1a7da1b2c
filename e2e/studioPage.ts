import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/** Helpers that act on the studio as a person would (clicks, drops), and read what the page exposes. */

export type BackendName = 'wasm' | 'webgpu';

/** Opens the studio; in the webgpu project it picks WebGPU in the backend menu, as a person would. */
export async function openStudio(page: Page, backend: BackendName): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Mix-QSAM Studio' })).toBeVisible();
  if (backend === 'webgpu') {
    await expect(page.getByTestId('model-card')).toHaveAttribute('data-status', 'ready');
    await page.getByLabel('Backend').selectOption('webgpu');
  }
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', backend);
  await expect(page.getByTestId('model-card')).toHaveAttribute('data-status', 'ready');
}

/** Sets the analysis panel as a person would: T images, prompts per image, fast sensitivity mode. */
export async function chooseFastAnalysis(page: Page, images: number, prompts: number): Promise<void> {
  const view = page.getByTestId('analysis-view');
  await view.getByLabel('Images to analyse').fill(String(images));
  await view.getByLabel('Prompts per image').fill(String(prompts));
  await view.getByLabel('Sensitivity mode').selectOption('fast');
}

/** A quick analysis (fast mode), clicked and waited for. */
export async function analyseFast(page: Page, images: number, prompts: number): Promise<void> {
  await chooseFastAnalysis(page, images, prompts);
  const view = page.getByTestId('analysis-view');
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
}

/** Waits until the selected image's embedding is cached. */
export async function waitForEncodedImage(page: Page): Promise<void> {
  await expect(page.getByTestId('image-stage')).toHaveAttribute('data-encode-state', 'ready');
}

/** Clicks image pixel (x, y) of the selected image (pixel centre), then waits for the resulting mask. */
export async function clickImagePixel(page: Page, x: number, y: number, options: { shift?: boolean } = {}): Promise<void> {
  const stage = page.getByTestId('image-stage');
  const before = Number(await stage.getAttribute('data-decode-count'));
  const width = Number(await stage.getAttribute('data-image-width'));
  const height = Number(await stage.getAttribute('data-image-height'));
  const box = await page.locator('.stage').boundingBox();
  if (!box) throw new Error('The image is not on screen.');
  const at = { x: box.x + ((x + 0.5) / width) * box.width, y: box.y + ((y + 0.5) / height) * box.height };
  if (options.shift) await page.keyboard.down('Shift');
  await page.mouse.click(at.x, at.y);
  if (options.shift) await page.keyboard.up('Shift');
  await expect(stage).toHaveAttribute('data-decode-count', String(before + 1));
}

export interface StageReading {
  maskArea: number;
  truthIoU: number | null;
  predictedIoU: number;
}

export async function readStage(page: Page): Promise<StageReading> {
  const data = await page.getByTestId('image-stage').evaluate((element) => ({ ...(element as HTMLElement).dataset }));
  return {
    maskArea: Number(data.maskArea),
    truthIoU: data.truthIou ? Number(data.truthIou) : null,
    predictedIoU: Number(data.predictedIou),
  };
}

export interface DroppedFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/**
 * Drops files on the page the way a drag from the desktop does: dragenter (the drop hint shows),
 * dragover, drop — with a DataTransfer holding real File objects.
 */
export async function dropFiles(page: Page, files: DroppedFile[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    (list) => {
      const transfer = new DataTransfer();
      for (const file of list) {
        const bytes = Uint8Array.from(atob(file.base64), (char) => char.charCodeAt(0));
        transfer.items.add(new File([bytes], file.name, { type: file.type }));
      }
      return transfer;
    },
    // Base64 crosses into the page far faster than a JSON array of numbers (model files are megabytes).
    files.map((file) => ({ name: file.name, type: file.type, base64: Buffer.from(file.bytes).toString('base64') })),
  );
  await page.dispatchEvent('main', 'dragenter', { dataTransfer });
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  await page.dispatchEvent('main', 'dragover', { dataTransfer });
  await page.dispatchEvent('main', 'drop', { dataTransfer });
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
}
