/**
 * The fast-webgpu export profile in onnxruntime-node (its CPU kernel runs MatMulNBits at 4 and 8 bits;
 * the WebGPU run itself is e2e/export-webgpu.spec.ts): the file holds MatMulNBits of the container the
 * width needs, no activation quantization, is smaller than FP32, and computes what a float graph whose
 * weights are the dequantized codes computes (the exact profile's weight-only file).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attrInt, GraphIndex } from '../onnx/graph.ts';
import { countOf, countOpTypes } from '../onnx/opCounts.ts';
import { REFERENCE_SESSION_OPTIONS, type OrtFeeds } from '../onnx/ort.ts';
import { decodeModel, type ModelProto } from '../onnx/proto.ts';
import { allocationToConfig, type QuantConfig } from './config.ts';
import { exportQuantizedModel, type ExportOptions } from './export.ts';
import { fastWeightKernel } from './export-fast.ts';
import { nbitsContainer } from './export-webgpu.ts';
import { weightTable } from './weight-tables.ts';
import { foldWeight } from '../onnx/fold.ts';
import { DEFAULT_QUANTIZER, quantizeCode } from './quantizers.ts';
import { discoverUnits, type QuantUnit } from './units.ts';

const demo = new URL('../../../public/models/demo-sam/encoder.onnx', import.meta.url);
const mobileSam = new URL('../../../../shared/fixtures/mobilesam-random/encoder.onnx', import.meta.url);
if (!existsSync(mobileSam)) console.log('MobileSAM fixture not found at ../shared/fixtures/mobilesam-random: its fast-webgpu case is skipped.');

/** A smooth deterministic image in the encoder's input layout. */
function imageFeeds(size: number): OrtFeeds {
  const data = Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i * 0.0007 + (i % size) * 0.05) + Math.cos(Math.floor(i / size) * 0.03));
  return { input_image: new ort.Tensor('float32', data, [1, 3, size, size]) } as unknown as OrtFeeds;
}

async function embed(bytes: Uint8Array, feeds: OrtFeeds, options: ort.InferenceSession.SessionOptions = {}): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, options);
  try {
    return (await session.run(feeds as unknown as ort.InferenceSession.FeedsType)).image_embeddings.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** max |a − b| over the range of b. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let max = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
    lo = Math.min(lo, b[i]);
    hi = Math.max(hi, b[i]);
  }
  return max / (hi - lo);
}

/** Every quantizable unit at widths cycling through `widths` (activation units get activation widths). */
function cycled(units: readonly QuantUnit[], widths: readonly number[]): QuantConfig {
  return allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, widths[i % widths.length]])), units);
}

/** The same weights with float activations: the reference file (exact profile) reads it. */
function weightsOnly(config: QuantConfig): QuantConfig {
  return Object.fromEntries(Object.entries(config).flatMap(([id, s]) => (s?.wBits ? [[id, { wBits: s.wBits, aBits: null }]] : [])));
}

function nbitsNodes(model: ModelProto, bits: number): number {
  return (model.graph?.node ?? []).filter((n) => n.opType === 'MatMulNBits' && attrInt(n, 'bits', 0) === bits).length;
}

describe.each([
  { name: 'demo SAM', file: demo, size: 256, widths: [4, 8], symmetric: false, present: true, ratio: 0.3, bound: 1e-5 },
  { name: 'demo SAM (symmetric W3/W6)', file: demo, size: 256, widths: [3, 6], symmetric: true, present: true, ratio: 0.3, bound: 1e-5 },
  { name: 'MobileSAM', file: mobileSam, size: 1024, widths: [4, 8], symmetric: false, present: existsSync(mobileSam), ratio: 0.2, bound: 1e-5 },
])('fast-webgpu export of the $name encoder', ({ file, size, widths, symmetric, present, ratio, bound }) => {
  it.skipIf(!present)('writes 4/8-bit MatMulNBits, no activation quantization, a smaller file computing the dequantized weights', { timeout: 300_000 }, async () => {
    const fpBytes = new Uint8Array(readFileSync(file));
    const model = decodeModel(fpBytes);
    const units = discoverUnits(model);
    const config = cycled(units, widths);
    // Float weights as they came: the comparison is of the MatMulNBits kernels alone (FP16 storage: halfWeights.test.ts).
    const options: ExportOptions = { quantizer: { weightSymmetric: symmetric }, floatWeights: 'fp32' };
    const exported = exportQuantizedModel(model, units, config, { ...options, profile: 'fast-webgpu' });
    const written = decodeModel(exported.bytes);
    const counts = countOpTypes(written);

    const matmuls = units.filter((u) => config[u.id]?.wBits && fastWeightKernel(u));
    const others = units.filter((u) => u.kind === 'weight' && config[u.id]?.wBits && !fastWeightKernel(u));
    const inContainer = (bits: number) => matmuls.filter((u) => nbitsContainer(config[u.id]!.wBits!) === bits).length;
    expect(inContainer(4)).toBeGreaterThan(0);
    expect(inContainer(8)).toBeGreaterThan(0);
    expect(nbitsNodes(written, 4)).toBe(inContainer(4));
    expect(nbitsNodes(written, 8)).toBe(inContainer(8));
    // Weight-only: activation widths of the allocation are not written; no int8 activation kernels.
    expect(units.some((u) => config[u.id]?.aBits)).toBe(true);
    expect(exported.quantizedActivations).toEqual([]);
    for (const op of ['QuantizeLinear', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'Clip', 'Log', 'Pow']) expect(countOf(counts, op)).toBe(countOf(countOpTypes(model), op));
    // Conv weights ride on per-channel DequantizeLinear (scale as long as the output channels).
    const dq = (written.graph?.node ?? []).filter((n) => n.opType === 'DequantizeLinear');
    expect(dq.length).toBe(others.length);
    expect(exported.quantizedWeights.length).toBe(matmuls.length + others.length);

    const sizeRatio = exported.bytes.byteLength / fpBytes.byteLength;
    console.info(`${file.pathname.split('/').at(-2)} fast-webgpu W${widths.join('/W')}: ${JSON.stringify(counts)}; size ${sizeRatio.toFixed(3)} of FP32`);
    expect(sizeRatio).toBeLessThan(ratio);

    // The float graph whose weights are the dequantized codes: the exact profile's weight-only file, run with reference options.
    const reference = exportQuantizedModel(model, units, weightsOnly(config), { ...options, profile: 'exact' });
    const feeds = imageFeeds(size);
    const expected = await embed(reference.bytes, feeds, REFERENCE_SESSION_OPTIONS);
    const actual = await embed(exported.bytes, feeds);
    const fp = await embed(fpBytes, feeds);
    const error = relativeError(actual, expected);
    console.info(`fast-webgpu vs dequantized-weights reference: ${error.toExponential(2)} of the range (FP32 vs reference: ${relativeError(fp, expected).toExponential(2)})`);
    expect(error).toBeLessThan(bound);
  });
});

describe('fast-webgpu stores the simulation’s rounded codes', () => {
  it('writes GPTQ-style codes (not nearest) into MatMulNBits at 4 and 8 bits', { timeout: 120_000 }, async () => {
    const fpBytes = new Uint8Array(readFileSync(demo));
    const model = decodeModel(fpBytes);
    const units = discoverUnits(model);
    const index = new GraphIndex(model.graph!);
    const [a, b] = units.filter(fastWeightKernel);
    const config: QuantConfig = { [a.id]: { wBits: 4, aBits: null }, [b.id]: { wBits: 8, aBits: null } };
    // Codes one step off nearest wherever the grid allows: the file must hold these, not its own rounding.
    const rounded = new Map(
      [a, b].map((unit) => {
        const bits = config[unit.id]!.wBits!;
        const params = weightTable(index, unit, [bits], DEFAULT_QUANTIZER).params[0];
        const { data } = foldWeight(index, unit.weight!.value, unit.nodeName);
        const n = unit.weight!.dims[1];
        const codes = Uint8Array.from(data, (x, i) => {
          const p = params[i % n];
          const q = quantizeCode(x, p);
          return q < p.qmax ? q + 1 : q - 1;
        });
        return [unit.id, new Map([[bits, codes]])] as const;
      }),
    );
    const feeds = imageFeeds(256);
    const reference = await embed(exportQuantizedModel(model, units, config, { profile: 'exact', roundedWeights: rounded }).bytes, feeds, REFERENCE_SESSION_OPTIONS);
    const nearest = await embed(exportQuantizedModel(model, units, config, { profile: 'exact' }).bytes, feeds, REFERENCE_SESSION_OPTIONS);
    const actual = await embed(exportQuantizedModel(model, units, config, { profile: 'fast-webgpu', roundedWeights: rounded, floatWeights: 'fp32' }).bytes, feeds);
    const [error, offNearest] = [relativeError(actual, reference), relativeError(nearest, reference)];
    console.info(`fast-webgpu with rounded codes vs exact with them: ${error.toExponential(2)}; nearest rounding is ${offNearest.toExponential(2)} away`);
    expect(offNearest).toBeGreaterThan(1e-4);
    expect(error).toBeLessThan(1e-5);
  });
});
