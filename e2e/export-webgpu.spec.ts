/**
 * The fast-webgpu files on onnxruntime-web's WebGPU backend (SwiftShader here): the demo SAM encoder and
 * decoder with a W4/W8 allocation, written by the export core in Node, run in the studio's page with the
 * `onnxruntime-web/webgpu` entry on the WebGPU and the WASM execution providers on the same inputs; the
 * two agree, and ORT's node placement (verbose session log) puts every MatMulNBits and DequantizeLinear
 * on WebGPU (all of the encoder's nodes; the decoder keeps the shape arithmetic on the CPU that FP32 keeps).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { attrInt } from '../src/core/onnx/graph';
import { decodeModel } from '../src/core/onnx/proto';
import { allocationToConfig } from '../src/core/quant/config';
import { exportQuantizedModel } from '../src/core/quant/export';
import { discoverUnits } from '../src/core/quant/units';
import { expect, test } from './fixtures';

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu'));
const demoFile = (name: string) => new Uint8Array(readFileSync(new URL(`../public/models/demo-sam/${name}`, import.meta.url)));

/** A demo graph with every unit at 4 or 8 bits in turn (activation widths too: the profile drops them). */
function fastWebGpu(graph: 'encoder' | 'decoder'): Uint8Array {
  const model = decodeModel(demoFile(`${graph}.onnx`));
  const units = discoverUnits(model);
  const config = allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, i % 2 ? 8 : 4])), units);
  return exportQuantizedModel(model, units, config, { profile: 'fast-webgpu' }).bytes;
}

type Feeds = Record<string, { dims: number[]; data: number[] }>;
const smooth = (length: number, seed: number) => Array.from({ length }, (_, i) => Math.sin(i * 0.0007 * seed + (i % 256) * 0.05) + Math.cos(Math.floor(i / 256) * 0.03));
const encoderFeeds: Feeds = { input_image: { dims: [1, 3, 256, 256], data: smooth(3 * 256 * 256, 1) } };
const decoderFeeds: Feeds = {
  image_embeddings: { dims: [1, 128, 16, 16], data: smooth(128 * 16 * 16, 3) },
  point_coords: { dims: [1, 2, 2], data: [40, 50, 180, 200] },
  point_labels: { dims: [1, 2], data: [2, 3] },
  mask_input: { dims: [1, 1, 64, 64], data: new Array<number>(64 * 64).fill(0) },
  has_mask_input: { dims: [1], data: [0] },
  orig_im_size: { dims: [2], data: [256, 256] },
};

/** Per output: max |WebGPU − WASM| and the WASM output's range. */
type Agreement = Record<string, { maxAbsDiff: number; range: number }>;

/** Runs the served `file` on WebGPU, then on WASM, in the page; the verbose session log prints node placements. */
function runBoth(page: Page, file: string, feeds: Feeds): Promise<Agreement> {
  return page.evaluate(
    async ({ url, entry, feeds }): Promise<Agreement> => {
      type Ort = typeof import('onnxruntime-web');
      const ort = (await import(entry)) as Ort;
      ort.env.wasm.numThreads = 1;
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, { dims, data }]) => [name, new ort.Tensor('float32', Float32Array.from(data), dims)]));
      const run = async (ep: 'webgpu' | 'wasm') => {
        const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], logSeverityLevel: 0 });
        const outputs = await session.run(tensors);
        await session.release();
        return Object.fromEntries(Object.entries(outputs).map(([name, tensor]) => [name, tensor.data as Float32Array]));
      };
      const gpu = await run('webgpu');
      const cpu = await run('wasm');
      const agreement: Agreement = {};
      for (const [name, expected] of Object.entries(cpu)) {
        let maxAbsDiff = 0;
        let [lo, hi] = [Infinity, -Infinity];
        for (let i = 0; i < expected.length; i++) {
          const d = Math.abs(gpu[name][i] - expected[i]);
          maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
          [lo, hi] = [Math.min(lo, expected[i]), Math.max(hi, expected[i])];
        }
        agreement[name] = { maxAbsDiff, range: hi - lo };
      }
      return agreement;
    },
    { url: `/e2e-webgpu/${file}`, entry: '/e2e-webgpu/ort.webgpu.bundle.min.mjs', feeds },
  );
}

// The app's offline service worker would answer the test's own files; it is not what is tested here.
test.use({ serviceWorkers: 'block' });

/** Op types ORT placed on the CPU, from the verbose placement lines of one session. */
function cpuOps(placement: readonly string[]): string[] {
  const ops: string[] = [];
  let onCpu = false;
  for (const line of placement) {
    const text = line.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]/, '');
    if (/placed on \[/.test(text)) onCpu = /Node\(s\) placed on \[CPUExecutionProvider\]/.test(text);
    else if (onCpu && /^\s+\S+ \(/.test(text)) ops.push(text.trim().split(' ')[0]);
  }
  return ops;
}

test('the fast-webgpu encoder and decoder run on WebGPU, agree with WASM, and keep their kernels off the CPU', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'webgpu', 'needs the WebGPU adapter (SwiftShader) of the webgpu project');
  test.setTimeout(400_000);
  const files: Record<string, Uint8Array> = { 'encoder.onnx': fastWebGpu('encoder'), 'decoder.onnx': fastWebGpu('decoder'), 'fp32-decoder.onnx': demoFile('decoder.onnx') };
  // Both containers run: 4-bit MatMulNBits for the W4 units, 8-bit for the W8 ones.
  const bits = (decodeModel(files['encoder.onnx']).graph?.node ?? []).filter((n) => n.opType === 'MatMulNBits').map((n) => attrInt(n, 'bits', 0));
  expect(new Set(bits)).toEqual(new Set([4, 8]));
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
  const measure = async (file: string, feeds: Feeds) => {
    const agreement = await runBoth(page, file, feeds);
    const placement = logs.splice(0).filter((line) => line.includes('VerifyEachNodeIsAssignedToAnEp'));
    const relative = Math.max(...Object.values(agreement).map(({ maxAbsDiff, range }) => (range > 0 ? maxAbsDiff / range : Infinity)));
    const cpu = cpuOps(placement);
    const counts = Object.fromEntries([...new Set(cpu)].map((op) => [op, cpu.filter((o) => o === op).length]));
    console.info(`${file}, WebGPU vs WASM: ${JSON.stringify(agreement)}; nodes on the CPU: ${JSON.stringify(counts)}`);
    return { relative, placement, cpu };
  };

  // Encoder: measured max |Δ| 5.7e-6 of a range of 7.9 (7e-7; the FP32 encoder: 6e-7); every node on WebGPU.
  const encoder = await measure('encoder.onnx', encoderFeeds);
  expect(encoder.relative).toBeLessThan(1e-5);
  expect(encoder.placement.join('\n')).toMatch(/All nodes placed on \[WebGpuExecutionProvider\]/);
  // Decoder: ORT keeps the prompt path's shape arithmetic on the CPU (112 nodes: Gather, Unsqueeze, Concat, …), as for
  // FP32; the quantized kernels stay on WebGPU. Measured: masks max |Δ| 1.7e-3 of a range of 97 (1.8e-5; FP32: 1.8e-5).
  const fpDecoder = await measure('fp32-decoder.onnx', decoderFeeds);
  const decoder = await measure('decoder.onnx', decoderFeeds);
  expect(decoder.relative).toBeLessThan(1e-4);
  for (const op of ['MatMulNBits', 'DequantizeLinear']) expect(decoder.cpu).not.toContain(op);
  expect(decoder.cpu.length).toBeLessThanOrEqual(fpDecoder.cpu.length);
  expect(decoder.placement.join('\n')).toMatch(/MatMulNBits/);
});
