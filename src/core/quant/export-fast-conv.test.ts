/**
 * fast-cpu Convs as ConvInteger (export-fast-conv.ts), in onnxruntime-node under its default options:
 * small Convs of every kind equal the exact profile to float rounding, and on MobileSAM's encoder
 * (../shared/fixtures/mobilesam-random) the optimized graph runs the integer kernels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { optimizedOpCounts } from '../../../tools/optimizedGraph.ts';
import { GraphBuilder } from '../onnx/builder.ts';
import { intAttr, intsAttr } from '../onnx/graph.ts';
import { countOf } from '../onnx/opCounts.ts';
import type { OrtFeeds, OrtModule } from '../onnx/ort.ts';
import { decodeModel, encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig, type ActivationRanges, type QuantConfig } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { convIntegerWeights, integerConvPays } from './export-fast-conv.ts';
import { weightGrid, type UniformParams } from './quantizers.ts';
import { discoverUnits, type QuantUnit } from './units.ts';

const ortModule = ort as unknown as OrtModule;

async function output(bytes: Uint8Array, feeds: OrtFeeds, name: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const values = (await session.run(feeds))[name].data as Float32Array;
  await session.release();
  return values;
}

/** max |a − b| / (max b − min b) and ‖a − b‖ / ‖b‖. */
function difference(a: Float32Array, b: Float32Array): { maxRelative: number; l2Relative: number } {
  let max = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let error = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
    [lo, hi] = [Math.min(lo, b[i]), Math.max(hi, b[i])];
    error += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return { maxRelative: max / (hi - lo), l2Relative: Math.sqrt(error / norm) };
}

describe('ConvInteger weight storage', () => {
  it('keeps (q − z) of every 8-bit code, zero points away from 128 included, as (u − 128) + correction', () => {
    const grid = weightGrid(8, false);
    const params: UniformParams[] = [20, 128, 240].map((zeroPoint) => ({ ...grid, scale: 0.01, zeroPoint }));
    // Each channel spans the whole grid: codes 0 … 255 (values (q − z)·s).
    const data = Float32Array.from({ length: 3 * 256 }, (_, i) => Math.fround(((i % 256) - params[Math.floor(i / 256)].zeroPoint) * 0.01));
    const { stored, correction } = convIntegerWeights(data, 3, params);
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / 256);
      expect(stored[i] - 128 + correction[c]).toBe((i % 256) - params[c].zeroPoint);
    }
    expect([...correction]).toEqual([108, 0, -112]);
  });
});

/** One Conv (bias, padding 1) over a [1, C_in, 16, 16] input: the unit of a test graph. */
function convModel(cin: number, cout: number, kernel: number, group: number): ModelProto {
  const b = new GraphBuilder();
  b.input('input_image', [1, cin, 16, 16]);
  const reduction = (cin / group) * kernel * kernel;
  // Channels of different offsets and spreads: asymmetric per-channel grids with zero points apart.
  const weight = Float32Array.from({ length: cout * reduction }, (_, i) => Math.sin(i * 1.7) * 0.3 + (Math.floor(i / reduction) % 3) * 0.1);
  b.init('weight', [cout, cin / group, kernel, kernel], weight);
  b.init('bias', [cout], Float32Array.from({ length: cout }, (_, i) => i * 0.01));
  const attributes = [intsAttr('kernel_shape', [kernel, kernel]), intsAttr('pads', [1, 1, 1, 1]), intAttr('group', group)];
  b.op('Conv', ['input_image', 'weight', 'bias'], { name: '/conv/Conv', output: 'out', attributes });
  b.output('out');
  return decodeModel(encodeModelBytes(b.toModel(17)));
}

describe.each([
  { kind: 'group 1, 3×3', cin: 32, cout: 8, kernel: 3, group: 1, bits: 8 },
  { kind: 'grouped (4 groups of 16), 3×3', cin: 64, cout: 16, kernel: 3, group: 4, bits: 8 },
  { kind: 'depthwise 12×12', cin: 16, cout: 16, kernel: 12, group: 16, bits: 8 },
  { kind: 'group 1, W4', cin: 32, cout: 8, kernel: 3, group: 1, bits: 4 },
])('fast-cpu Conv, $kind, W$bits A8', ({ cin, cout, kernel, group, bits }) => {
  it('runs ConvInteger and equals the exact profile (≡ simulation) to float rounding', async () => {
    const model = convModel(cin, cout, kernel, group);
    const units = discoverUnits(model, { graph: 'encoder' });
    const feeds = (phase: number): OrtFeeds => ({ input_image: new ort.Tensor('float32', Float32Array.from({ length: cin * 256 }, (_, i) => Math.sin(i * 0.37 + phase) + 0.5), [1, cin, 16, 16]) });
    const ranges = await calibrate(ortModule, model, units, [feeds(0)]);
    const config: QuantConfig = { [units[0].id]: { wBits: bits, aBits: 8 } };
    const fast = exportQuantizedModel(model, units, config, { ranges, profile: 'fast-cpu' });
    const exact = exportQuantizedModel(model, units, config, { ranges, profile: 'exact' });
    expect(countOf(await optimizedOpCounts(ortModule, fast.bytes), 'ConvInteger')).toBeGreaterThan(0);
    const a = await output(fast.bytes, feeds(1), 'out');
    const b = await output(exact.bytes, feeds(1), 'out');
    // Measured max |Δ| / range ≈ 1e-6 (one float rounding of s_x·s_c).
    expect(difference(a, b).maxRelative).toBeLessThan(1e-5);
  }, 60_000);
});

const fixture = fileURLToPath(new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url));
const present = existsSync(`${fixture}encoder.onnx`);
if (!present) console.log('MobileSAM fixture not found at ../shared/fixtures/mobilesam-random: its ConvInteger test is skipped.');

describe.skipIf(!present)('fast-cpu Convs on MobileSAM (TinyViT encoder), W8A8', () => {
  let model: ModelProto;
  let units: QuantUnit[];
  let ranges: ActivationRanges;
  const image = (phase: number): OrtFeeds => ({
    input_image: new ort.Tensor('float32', new Float32Array(3 * 1024 * 1024).map((_, i) => 2 * Math.sin(i * 0.0011 + phase) + Math.cos((i % 1024) * 0.02 * (phase + 1))), [1, 3, 1024, 1024]),
  });
  const w8a8 = (keep: (unit: QuantUnit) => boolean) => allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault && keep(u)).map((u) => [u.id, 8])), units);

  beforeAll(async () => {
    model = decodeModel(readFileSync(`${fixture}encoder.onnx`));
    units = discoverUnits(model);
    ranges = await calibrate(ortModule, model, units, [image(0)]);
  }, 120_000);

  it('runs every long-reduction Conv as ConvInteger, and the file is smaller than the exact one', async () => {
    const config = w8a8(() => true);
    const fast = exportQuantizedModel(model, units, config, { ranges, profile: 'fast-cpu' });
    const exact = exportQuantizedModel(model, units, config, { ranges, profile: 'exact' });
    const counts = await optimizedOpCounts(ortModule, fast.bytes);
    const fp = await optimizedOpCounts(ortModule, encodeModelBytes(model));
    const integer = units.filter((u) => config[u.id]?.wBits && integerConvPays(u));
    console.info(`MobileSAM fast-cpu W8A8: ${integer.length} Convs as ConvInteger; optimized graph ${JSON.stringify(counts)}; ${fast.bytes.byteLength} bytes (exact ${exact.bytes.byteLength})`);
    // neck.0, neck.2, the downsamplings' 1×1 and the MBConvs' 1×1 256→64.
    expect(integer.length).toBe(9);
    // One ConvInteger per unit (a second one for the window sums where 8-bit zero points need it), one Cast each.
    expect(countOf(counts, 'ConvInteger')).toBeGreaterThanOrEqual(integer.length);
    expect(countOf(counts, 'Cast')).toBe(countOf(fp, 'Cast') + integer.length);
    // No float Conv is left for them: FP's Convs (any fused / NCHWc form) less the integer ones.
    const floatConvs = (c: Record<string, number>) => countOf(c, 'Conv') + countOf(c, 'FusedConv');
    expect(floatConvs(counts)).toBe(floatConvs(fp) - integer.length);
    expect(fast.bytes.byteLength).toBeLessThan(0.7 * exact.bytes.byteLength);
  }, 180_000);

  it('equals the exact profile to float rounding where only ConvInteger units are quantized (the neck)', async () => {
    const config = w8a8((u) => u.part === 'neck');
    // Float weights as they came: the comparison is of the ConvInteger kernels alone (FP16 storage: halfWeights.test.ts).
    const fast = exportQuantizedModel(model, units, config, { ranges, profile: 'fast-cpu', floatWeights: 'fp32' });
    const exact = exportQuantizedModel(model, units, config, { ranges, profile: 'exact' });
    const fp = await output(encodeModelBytes(model), image(1), 'image_embeddings');
    const b = await output(exact.bytes, image(1), 'image_embeddings');
    const a = await output(fast.bytes, image(1), 'image_embeddings');
    const vsExact = difference(a, b);
    console.info(`MobileSAM neck W8A8: fast-cpu vs exact ${JSON.stringify(vsExact)}; FP vs exact ${JSON.stringify(difference(fp, b))}`);
    // Measured: max 1.8e-4 of the range (FP is 1e-2 away): float rounding, a few activation codes flipped by it.
    expect(vsExact.maxRelative).toBeLessThan(1e-3);
  }, 180_000);
});
