/**
 * The fast-webgpu file on onnxruntime-web's WebGPU backend (SwiftShader here): the demo SAM encoder with
 * a W4/W8 allocation, written by the export core in Node, runs in the studio's page with the
 * `onnxruntime-web/webgpu` entry on the WebGPU and the WASM execution providers on the same image; the two
 * agree, and ORT's node placement (verbose session log) shows every MatMulNBits and DequantizeLinear on WebGPU.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { allocationToConfig } from '../src/core/quant/config';
import { exportQuantizedModel } from '../src/core/quant/export';
import { attrInt } from '../src/core/onnx/graph';
import { decodeModel } from '../src/core/onnx/proto';
import { discoverUnits } from '../src/core/quant/units';
import { expect, test } from './fixtures';

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu'));
const demoEncoder = readFileSync(new URL('../public/models/demo-sam/encoder.onnx', import.meta.url));

/** The demo encoder with every unit at 4 or 8 bits in turn (activation widths too: the profile drops them). */
function fastWebGpuEncoder(): Uint8Array {
  const model = decodeModel(new Uint8Array(demoEncoder));
  const units = discoverUnits(model);
  const config = allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, i % 2 ? 8 : 4])), units);
  return exportQuantizedModel(model, units, config, { profile: 'fast-webgpu' }).bytes;
}

interface Run {
  /** max |WebGPU − WASM| and the WASM output's range. */
  maxAbsDiff: number;
  range: number;
  webgpuMs: number;
}

// The app's offline service worker would answer the test's own files; it is not what is tested here.
test.use({ serviceWorkers: 'block' });

test('the fast-webgpu encoder runs on WebGPU, agrees with WASM, and nothing falls back to the CPU', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'webgpu', 'needs the WebGPU adapter (SwiftShader) of the webgpu project');
  test.setTimeout(300_000);
  const encoder = fastWebGpuEncoder();
  // Both containers run: 4-bit MatMulNBits for the W4 units, 8-bit for the W8 ones.
  const bits = (decodeModel(encoder).graph?.node ?? []).filter((n) => n.opType === 'MatMulNBits').map((n) => attrInt(n, 'bits', 0));
  expect(new Set(bits)).toEqual(new Set([4, 8]));
  const files: Record<string, Uint8Array> = { 'fast-webgpu.onnx': encoder };
  await page.route('**/e2e-webgpu/*', async (route) => {
    const name = new URL(route.request().url()).pathname.split('/').at(-1)!;
    const body = files[name] ?? readFileSync(join(ortDist, name));
    const type = name.endsWith('.wasm') ? 'application/wasm' : name.endsWith('.mjs') ? 'text/javascript' : 'application/octet-stream';
    await route.fulfill({ body: Buffer.from(body), headers: { 'Content-Type': type, 'Cross-Origin-Resource-Policy': 'same-origin' } });
  });
  const logs: string[] = [];
  page.on('console', (message) => logs.push(message.text()));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Mix-QSAM Studio' })).toBeVisible();

  const run = (file: string) =>
    page.evaluate(async ({ url, entry }): Promise<Run> => {
      type Ort = typeof import('onnxruntime-web');
      const ort = (await import(entry)) as Ort;
      ort.env.wasm.numThreads = 1;
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const image = Float32Array.from({ length: 3 * 256 * 256 }, (_, i) => Math.sin(i * 0.0007 + (i % 256) * 0.05) + Math.cos(Math.floor(i / 256) * 0.03));
      const feeds = { input_image: new ort.Tensor('float32', image, [1, 3, 256, 256]) };
      const embed = async (ep: 'webgpu' | 'wasm') => {
        // Verbose session log: ORT lists which nodes each execution provider got.
        const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 0 });
        const started = performance.now();
        const data = (await session.run(feeds)).image_embeddings.data as Float32Array;
        const ms = performance.now() - started;
        await session.release();
        return { data, ms };
      };
      const gpu = await embed('webgpu');
      const cpu = await embed('wasm');
      let maxAbsDiff = 0;
      let [lo, hi] = [Infinity, -Infinity];
      for (let i = 0; i < cpu.data.length; i++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(gpu.data[i] - cpu.data[i]));
        [lo, hi] = [Math.min(lo, cpu.data[i]), Math.max(hi, cpu.data[i])];
      }
      return { maxAbsDiff: Number.isNaN(maxAbsDiff) ? Infinity : maxAbsDiff, range: hi - lo, webgpuMs: gpu.ms };
    }, { url: `/e2e-webgpu/${file}`, entry: '/e2e-webgpu/ort.webgpu.bundle.min.mjs' });

  const fast = await run('fast-webgpu.onnx');
  console.info(`fast-webgpu W4/W8 demo encoder, WebGPU vs WASM: ${JSON.stringify(fast)}`);
  // Measured: max |Δ| 5.7e-6 of a range of 7.9 (7e-7; the FP32 encoder: 6e-7).
  expect(fast.range).toBeGreaterThan(0);
  expect(fast.maxAbsDiff / fast.range).toBeLessThan(1e-5);
  // ORT's verbose log names where the nodes went; every one (MatMulNBits and DequantizeLinear included) is on WebGPU.
  const placement = logs.filter((line) => line.includes('VerifyEachNodeIsAssignedToAnEp'));
  console.info(placement.join('\n'));
  expect(placement.join('\n')).toMatch(/All nodes placed on \[WebGpuExecutionProvider\]/);
  expect(logs.filter((line) => line.includes('not assigned to the preferred execution providers'))).toEqual([]);
});
