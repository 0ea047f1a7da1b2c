/**
 * Encoder and decoder times of the default (demo) model per backend, measured in Debian's Chromium
 * through the studio itself: WASM with 1 thread, WASM with 2 threads, WebGPU (on a machine without a
 * GPU that is SwiftShader's software adapter). Prints the first (warm-up) run and the median of the rest.
 *
 *   npx vite build --outDir dist-bench && npx tsx bench/inference-backends.ts [--dist dist-bench] [--port 4290] [--images 4] [--clicks 6]
 */
import type { Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { withStudioBrowser } from './studioBrowser';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const dist = args.get('dist') ?? 'dist-bench';
const port = Number(args.get('port') ?? 4290);
const imageCount = Number(args.get('images') ?? 4);
const clickCount = Number(args.get('clicks') ?? 6);

const configurations = [
  { name: 'WASM, 1 thread', query: 'backend=wasm&threads=1', badge: 'wasm' },
  { name: 'WASM, 2 threads', query: 'backend=wasm&threads=2', badge: 'wasm' },
  { name: 'WebGPU', query: 'backend=webgpu', badge: 'webgpu' },
];

/** Distinct 256×256 test images: a disc at a different place on each. */
function testImage(index: number): { name: string; mimeType: string; buffer: Buffer } {
  const png = new PNG({ width: 256, height: 256 });
  const cx = 70 + ((index * 53) % 120);
  const cy = 80 + ((index * 37) % 100);
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < 45 * 45;
      png.data.set(inside ? [30 + index * 20, 80, 170, 255] : [230, 220, 200 - index * 10, 255], (y * 256 + x) * 4);
    }
  }
  return { name: `bench-${index}.png`, mimeType: 'image/png', buffer: PNG.sync.write(png) };
}

async function measure(page: Page, configuration: (typeof configurations)[number]) {
  const encoderMs: number[] = [];
  const decoderMs: number[] = [];
  page.on('console', (message) => {
    const match = /^\[studio\] (encoder|decoder) ([\d.]+) ms/.exec(message.text());
    if (match) (match[1] === 'encoder' ? encoderMs : decoderMs).push(Number(match[2]));
  });
  await page.goto(`http://127.0.0.1:${port}/?${configuration.query}`);
  await page.locator(`[data-testid=backend-badge][data-backend=${configuration.badge}]`).waitFor({ timeout: 120_000 });
  const badge = await page.getByTestId('backend-badge').innerText();
  await page.locator('[data-testid=model-card][data-status=ready]').waitFor({ timeout: 120_000 });
  await page.getByTestId('image-file-input').setInputFiles(Array.from({ length: imageCount }, (_, i) => testImage(i)));
  const stage = page.getByTestId('image-stage');
  const thumbnails = page.getByTestId('thumbnail').filter({ hasText: 'bench-' });
  for (let i = 0; i < imageCount; i++) {
    await thumbnails.nth(i).click();
    await page.locator('[data-testid=image-stage][data-encode-state=ready]').waitFor({ timeout: 300_000 });
  }
  const box = await page.locator('.stage').boundingBox();
  if (!box) throw new Error('no image on screen');
  for (let i = 0; i < clickCount; i++) {
    const before = Number(await stage.getAttribute('data-decode-count'));
    await page.mouse.click(box.x + box.width * (0.2 + 0.1 * i), box.y + box.height * (0.3 + 0.05 * i));
    await page.locator(`[data-testid=image-stage][data-decode-count="${before + 1}"]`).waitFor({ timeout: 300_000 });
  }
  return { badge, encoderMs, decoderMs };
}

const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fmt = (ms: number) => (Number.isNaN(ms) ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

await withStudioBrowser(dist, port, async (browser) => {
  console.log(`Demo model, ${imageCount} images (256×256) encoded once each, ${clickCount} clicks decoded; Chromium ${browser.version()}`);
  console.log('backend            | encoder first | encoder median | decoder first | decoder median | badge');
  for (const configuration of configurations) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const { badge, encoderMs, decoderMs } = await measure(page, configuration);
    await page.close();
    console.log(
      [configuration.name.padEnd(18), fmt(encoderMs[0]).padStart(13), fmt(median(encoderMs.slice(1))).padStart(14), fmt(decoderMs[0]).padStart(13), fmt(median(decoderMs.slice(1))).padStart(14), badge].join(' | '),
    );
  }
});
