/**
 * What the user's-day spec drops and downloads: PNGs of generated scenes (core/synth) written with pngjs,
 * the demo model's files, and reading the analysis' stored calibration back out of the page.
 */
import { readFileSync } from 'node:fs';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { PNG } from 'pngjs';
import type { CalibrationFacts } from '../src/core/analysis/analysisModel';
import { generateScene } from '../src/core/synth/scene';
import type { DroppedFile } from './studioPage';

export function demoModelFile(name: 'encoder.onnx' | 'decoder.onnx'): DroppedFile {
  return { name, type: '', bytes: new Uint8Array(readFileSync(new URL(`../public/models/demo-sam/${name}`, import.meta.url))) };
}

/** A generated scene as a PNG file, as if photographed by the user (no ground truth travels with it). */
export function scenePng(seed: number, size = 256): DroppedFile {
  const scene = generateScene(seed, { size });
  const png = new PNG({ width: scene.width, height: scene.height });
  png.data.set(scene.rgba);
  return { name: `scene-${seed}.png`, type: 'image/png', bytes: new Uint8Array(PNG.sync.write(png)) };
}

/** The calibration (ranges, log2 τ) the analysis stored in the page's IndexedDB. */
export async function storedCalibration(page: Page): Promise<CalibrationFacts> {
  const facts = await page.evaluate(
    () =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('mix-qsam-analysis');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('entries').objectStore('entries').getAll();
          request.onerror = () => reject(request.error);
          request.onsuccess = () => resolve((request.result as { entryKey: string; value: unknown }[]).filter((r) => r.entryKey === 'calibration').map((r) => r.value));
        };
      }),
  );
  const list = facts as CalibrationFacts[];
  if (list.length !== 1) throw new Error(`Expected one stored calibration, found ${list.length}.`);
  return list[0];
}

/** Drags a range input's thumb to `value` with the mouse, as a person would (press, move in steps, release). */
export async function dragSlider(page: Page, slider: Locator, value: number): Promise<void> {
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  if (!box) throw new Error('The slider is not on screen.');
  const read = async (name: string) => Number(await slider.getAttribute(name));
  const [min, max, current] = [await read('min'), await read('max'), Number(await slider.inputValue())];
  // Chromium's thumb is about as wide as the track is high: its centre runs from half a thumb in to half a thumb from the end.
  const inset = box.height / 2;
  const at = (v: number) => box.x + inset + ((v - min) / (max - min)) * (box.width - 2 * inset);
  const y = box.y + box.height / 2;
  await page.mouse.move(at(current), y);
  await page.mouse.down();
  await page.mouse.move(at(value), y, { steps: 8 });
  await page.mouse.up();
}

/** Saves every download of the page into the test's output folder; the map fills as they finish (name → path). */
export function collectDownloads(page: Page, testInfo: TestInfo): Map<string, string> {
  const downloads = new Map<string, string>();
  page.on('download', (download) => {
    const path = testInfo.outputPath(download.suggestedFilename());
    void download.saveAs(path).then(() => downloads.set(download.suggestedFilename(), path));
  });
  return downloads;
}
