/**
 * The fast-cpu export profile in onnxruntime-node under its default options (how it is deployed): the
 * optimized graph runs the intended integer kernels, and the output stays close to the simulation.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { optimizedOpCounts } from '../../../tools/optimizedGraph.ts';
import { countOf } from '../onnx/opCounts.ts';
import { encoderInput, generateScene, type SamInputSpec } from '../synth/index.ts';
import { REFERENCE_SESSION_OPTIONS, toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort.ts';
import { decodeModel, encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { calibrate } from './calibration.ts';
import { allocationToConfig, type ActivationRanges, type QuantConfig } from './config.ts';
import { exportQuantizedModel } from './export.ts';
import { fastWeightKernel } from './export-fast.ts';
import { buildParametricModel } from './parametric.ts';
import { discoverUnits, type QuantUnit } from './units.ts';
import { verifyExport } from './verify.ts';

const ortModule = ort as unknown as OrtModule;
const demoBytes = (file: string) => new Uint8Array(readFileSync(new URL(`../../../public/models/demo-sam/${file}`, import.meta.url)));
const widths = [3, 4, 6, 8];

const spec = JSON.parse(readFileSync(new URL('../../../public/models/demo-sam/model.json', import.meta.url), 'utf8')) as SamInputSpec;
/** Scenes of the procedural generator (seeds apart from the studio's samples), as the demo model sees images. */
const scene = (seed: number) => generateScene(600_000 + seed, { size: 256 });

function imageFeeds(seed: number): OrtFeeds {
  const { rgba, width, height } = scene(seed);
  return { input_image: new ort.Tensor('float32', encoderInput(rgba, width, height, spec), [1, 3, 256, 256]) };
}

/** The scene's embedding (FP encoder) and the box of its largest object. */
async function decoderFeeds(seed: number): Promise<OrtFeeds> {
  const session = await ort.InferenceSession.create(demoBytes('encoder.onnx'));
  const embeddings = (await session.run(imageFeeds(seed))).image_embeddings;
  const largest = scene(seed).objects.filter((o) => o.box).sort((a, b) => b.visiblePixels - a.visiblePixels)[0];
  const box = largest.box!;
  return {
    image_embeddings: embeddings,
    point_coords: new ort.Tensor('float32', Float32Array.from(box), [1, 2, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.from([2, 3]), [1, 2]),
    mask_input: new ort.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
    has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: new ort.Tensor('float32', Float32Array.from([256, 256]), [2]),
  };
}

describe.each([
  { graph: 'encoder' as const, output: 'image_embeddings' },
  { graph: 'decoder' as const, output: 'low_res_masks' },
])('fast-cpu export of the demo $graph', ({ graph, output }) => {
  let model: ModelProto;
  let units: QuantUnit[];
  let ranges: ActivationRanges;
  let inputs: OrtFeeds;

  beforeAll(async () => {
    model = decodeModel(demoBytes(`${graph}.onnx`));
    units = discoverUnits(model);
    const batches = graph === 'encoder' ? [imageFeeds(1), imageFeeds(2)] : [await decoderFeeds(1), await decoderFeeds(2)];
    ranges = await calibrate(ortModule, model, units, batches);
    inputs = graph === 'encoder' ? imageFeeds(3) : await decoderFeeds(3);
  }, 120_000);

  const quantized = () => units.filter((u) => !u.excludedByDefault);
  const mixed = (cycle = widths) => allocationToConfig(Object.fromEntries(quantized().map((u, i) => [u.id, cycle[i % cycle.length]])), units);

  it('runs MatMulNBits for ≤ 4-bit weights and MatMulIntegerToFloat for 6/8-bit weights and activation MatMuls', async () => {
    const config = mixed();
    const exported = exportQuantizedModel(model, units, config, { ranges, profile: 'fast-cpu' });
    const counts = await optimizedOpCounts(ortModule, exported.bytes);
    const fp = await optimizedOpCounts(ortModule, encodeModelBytes(model));
    const fastWeights = quantized().filter((u) => u.kind === 'weight' && fastWeightKernel(u));
    const nbits = fastWeights.filter((u) => config[u.id]!.wBits! <= 4).length;
    const integer = fastWeights.length - nbits + quantized().filter((u) => u.kind === 'activation').length;
    console.info(`${graph} fast-cpu optimized graph: ${JSON.stringify(counts)}`);
    expect(nbits).toBeGreaterThan(0);
    expect(countOf(counts, 'MatMulNBits')).toBe(nbits);
    expect(countOf(counts, 'MatMulIntegerToFloat')).toBe(integer);
    // No float emulation of the quantizers is left: no Clip, and no Log / Round / Pow of the log2 quantizer.
    for (const op of ['Clip', 'Round', 'Log', 'Where']) expect(countOf(counts, op)).toBe(countOf(fp, op));
    // Biases ride in the kernels (FP folds them into Gemm): no extra Add runs.
    expect(countOf(counts, 'Add')).toBeLessThanOrEqual(countOf(fp, 'Add'));
    // Every unit of the encoder is quantized here (the decoder keeps its excluded units in float).
    if (graph === 'encoder') expect(exported.bytes.byteLength).toBeLessThan(0.3 * demoBytes('encoder.onnx').byteLength);
  }, 120_000);

  it('stores ≤ 4-bit weights in MatMulNBits without changing them: W4 with float activations equals the simulation to float rounding', async () => {
    const config: QuantConfig = Object.fromEntries(quantized().filter((u) => u.kind === 'weight').map((u) => [u.id, { wBits: 4, aBits: null }]));
    const parametric = buildParametricModel(model, units, { ranges, weightBits: [4] });
    const simulation = await ort.InferenceSession.create(parametric.bytes, REFERENCE_SESSION_OPTIONS);
    // Float weights as they came: the comparison is of the MatMulNBits kernels alone (FP16 storage: halfWeights.test.ts).
    const exported = exportQuantizedModel(model, units, config, { ranges, simulation: parametric, profile: 'fast-cpu', floatWeights: 'fp32' });
    const result = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, parametric.feedsFor(config)) }, exported.bytes, inputs, {});
    console.info(`${graph} fast-cpu W4 (float activations) vs simulation: ${JSON.stringify(result.perOutput[output])}`);
    expect(result.perOutput[output].relativeError).toBeLessThan(1e-5);
    await simulation.release();
  }, 120_000);

  // Below 8 bits fast-cpu keeps 8-bit activation grids, so it is compared where the grids agree: W4/W8 with A4/A8 → A8.
  it('stays close to the simulation of a mixed W4/W8 allocation under default options', async () => {
    const config = allocationToConfig(Object.fromEntries(quantized().map((u, i) => [u.id, i % 2 ? 8 : 4])), units);
    for (const unit of quantized()) config[unit.id]!.aBits = 8;
    const parametric = buildParametricModel(model, units, { ranges, weightBits: [4, 8] });
    const simulation = await ort.InferenceSession.create(parametric.bytes, REFERENCE_SESSION_OPTIONS);
    const feeds = toOrtFeeds(ortModule, parametric.feedsFor(config));
    const fast = exportQuantizedModel(model, units, config, { ranges, simulation: parametric, profile: 'fast-cpu' });
    const exact = exportQuantizedModel(model, units, config, { ranges, simulation: parametric, profile: 'exact' });
    const exactResult = await verifyExport(ortModule, { session: simulation, feeds }, exact.bytes, inputs);
    expect(exactResult.maxAbsError).toBe(0);
    const simulated = (await simulation.run({ ...inputs, ...feeds }))[output].data as Float32Array;
    const run = async (bytes: Uint8Array) => {
      const session = await ort.InferenceSession.create(bytes);
      const values = (await session.run(inputs))[output].data as Float32Array;
      await session.release();
      return { relativeError: maxAbsDiff(values, simulated) / valueRange(simulated), maskIoU: positiveIoU(values, simulated) };
    };
    const fastVsSim = await run(fast.bytes);
    const fpVsSim = await run(encodeModelBytes(model));
    console.info(`${graph} W4/W8 A8: fast-cpu vs simulation ${JSON.stringify(fastVsSim)}; FP vs simulation ${JSON.stringify(fpVsSim)}`);
    // Measured: encoder 0.081 of the range (FP itself is 0.042 away), decoder masks IoU 0.985 (FP: 0.980).
    if (graph === 'encoder') expect(fastVsSim.relativeError).toBeLessThan(0.15);
    else expect(fastVsSim.maskIoU).toBeGreaterThan(0.95);
    await simulation.release();
  }, 120_000);
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function valueRange(a: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of a) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  return hi - lo;
}

/** IoU of the positive parts (mask logits > 0). */
function positiveIoU(a: Float32Array, b: Float32Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > 0 && b[i] > 0) both++;
    if (a[i] > 0 || b[i] > 0) either++;
  }
  return either === 0 ? 1 : both / either;
}
