import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultOpset } from '../onnx/graph.ts';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import { decodeModel, type ModelProto } from '../onnx/proto.ts';
import { DataType } from '../onnx/tensor.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig, type ActivationRanges } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { buildParametricModel } from './parametric.ts';
import { discoverUnits, type QuantUnit } from './units.ts';
import { createReferenceSession, verifyExport } from './verify.ts';

const ortModule = ort as unknown as OrtModule;
const demo = (file: string) => decodeModel(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));
const widths = [3, 4, 5, 6, 8];

function imageFeeds(seed: number): OrtFeeds {
  const data = new Float32Array(3 * 256 * 256).map((_, i) => 2 * Math.sin(i * 0.0007 * seed + seed) + Math.cos((i % 256) * 0.05 * seed));
  return { input_image: new ort.Tensor('float32', data, [1, 3, 256, 256]) };
}

async function decoderFeeds(encoder: ModelProto, seed: number): Promise<OrtFeeds> {
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(new URL('../../../public/models/demo-sam/encoder.onnx', import.meta.url))));
  const embeddings = (await session.run(imageFeeds(seed))).image_embeddings;
  void encoder;
  const box = [20 + 10 * seed, 30, 150 + 5 * seed, 200];
  return {
    image_embeddings: embeddings,
    point_coords: new ort.Tensor('float32', Float32Array.from(box), [1, 2, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.from([2, 3]), [1, 2]),
    mask_input: new ort.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
    has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: new ort.Tensor('float32', Float32Array.from([256, 256]), [2]),
  };
}

/** A mixed allocation cycling through the candidate widths over the quantizable units. */
function mixedAllocation(units: readonly QuantUnit[]): Record<string, number> {
  return Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, widths[i % widths.length]]));
}

describe.each([
  { graph: 'encoder' as const, output: 'image_embeddings' },
  { graph: 'decoder' as const, output: 'low_res_masks' },
])('export of the demo $graph', ({ graph, output }) => {
  let model: ModelProto;
  let units: QuantUnit[];
  let ranges: ActivationRanges;
  let inputs: OrtFeeds;

  beforeAll(async () => {
    model = demo(`${graph}.onnx`);
    units = discoverUnits(model);
    const batches = graph === 'encoder' ? [imageFeeds(1), imageFeeds(2)] : [await decoderFeeds(model, 1), await decoderFeeds(model, 2)];
    ranges = await calibrate(ortModule, model, units, batches);
    inputs = graph === 'encoder' ? imageFeeds(3) : await decoderFeeds(model, 3);
  }, 120_000);

  it('reproduces the fake-quant simulation of a mixed W/A allocation (≤ 1e-3 of the output range)', async () => {
    const config = allocationToConfig(mixedAllocation(units), units);
    const parametric = buildParametricModel(model, units, { ranges, weightBits: widths });
    const simulation = await createReferenceSession(ortModule, parametric.bytes);
    const exported = exportQuantizedModel(model, units, config, { ranges, simulation: parametric });
    const result = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, parametric.feedsFor(config)) }, exported.bytes, inputs);
    console.info(`${graph} mixed W3–8/A3–8 export vs simulation: ${JSON.stringify(result.perOutput)}`);
    expect(result.perOutput[output].range).toBeGreaterThan(0);
    expect(result.perOutput[output].relativeError).toBeLessThanOrEqual(1e-3);
    // Under REFERENCE_SESSION_OPTIONS both sessions run the same float operations: equal bit for bit.
    expect(result.maxAbsError).toBe(0);
    // The quantized model really differs from FP: the comparison is not vacuous.
    const fp = await simulation.run({ ...inputs, ...toOrtFeeds(ortModule, parametric.feedsFor({})) });
    const quantized = await simulation.run({ ...inputs, ...toOrtFeeds(ortModule, parametric.feedsFor(config)) });
    expect(maxAbsDiff(fp[output].data as Float32Array, quantized[output].data as Float32Array)).toBeGreaterThan(1e-3);
    await simulation.release();
  }, 120_000);

  it('also reproduces the simulation with every unit quantized, excluded ones included (Gemm, ConvTranspose, K = 2 MatMul)', async () => {
    const allocation = Object.fromEntries(units.map((u, i) => [u.id, widths[(i + 2) % widths.length]]));
    const config = allocationToConfig(allocation, units);
    const parametric = buildParametricModel(model, units, { ranges, weightBits: widths, quantizer: { weightRange: 'minmax', weightSymmetric: true } });
    const simulation = await createReferenceSession(ortModule, parametric.bytes);
    const exported = exportQuantizedModel(model, units, config, { ranges, simulation: parametric });
    const result = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, parametric.feedsFor(config)) }, exported.bytes, inputs);
    expect(result.maxAbsError).toBe(0);
    await simulation.release();
  }, 120_000);

  it('writes opset 21 with INT4 weights for widths ≤ 4 and INT8 above, sized Σ params·container', () => {
    const allocation = mixedAllocation(units);
    const exported = exportQuantizedModel(model, units, allocationToConfig(allocation, units), { ranges });
    const out = decodeModel(exported.bytes);
    expect(defaultOpset(out)).toBe(21);
    const quantized = units.filter((u) => u.kind === 'weight' && allocation[u.id]);
    expect(exported.quantizedWeights).toEqual(quantized.map((u) => u.id));
    const byName = new Map((out.graph!.initializer ?? []).map((t) => [t.name, t]));
    let expectedStored = 0;
    let expectedIdeal = 0;
    for (const unit of quantized) {
      const bits = allocation[unit.id];
      const dq = out.graph!.node!.find((n) => n.name === `${unit.nodeName}/weight/DequantizeLinear`)!;
      expect(byName.get(dq.input![0])!.dataType).toBe(bits <= 4 ? DataType.INT4 : DataType.INT8);
      expectedStored += bits <= 4 ? Math.ceil(unit.params / 2) : unit.params;
      expectedIdeal += (unit.params * bits) / 8;
    }
    expect(exported.sizes.storedWeightBytes).toBe(expectedStored);
    expect(exported.sizes.idealWeightBytes).toBe(expectedIdeal);
    expect(exported.sizes.fileBytes).toBe(exported.bytes.byteLength);
  });

  it('refuses ablations and missing ranges', () => {
    const unit = units.find((u) => !u.excludedByDefault)!;
    expect(() => exportQuantizedModel(model, units, { [unit.id]: { wBits: null, aBits: null, ablate: true } })).toThrow(/cannot be exported/);
    expect(() => exportQuantizedModel(model, units, { [unit.id]: { wBits: null, aBits: 8 } })).toThrow(/No calibrated range/);
  });
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
