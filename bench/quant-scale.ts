/**
 * Scale benchmark: a generated ViT-B-sized SAM-contract encoder (12 blocks, width 768, 1024² input,
 * random weights) through discovery, the parametric rewrite, session creation and export.
 * Prints measured times, file sizes and peak memory.
 *
 *   npx tsx bench/quant-scale.ts [--range=mse|minmax] [--widths=2,3,4,5,6,7,8] [--run]
 *
 * --run also times one forward pass of the same encoder at 256² input (256 tokens) for the original
 * model and the parametric one (FP feeds and W4A4 feeds): a 1024² pass with global attention takes
 * minutes on 2 cores.
 */
import * as ort from 'onnxruntime-node';
import { encodeModelBytes, type ModelProto } from '../src/core/onnx/proto.ts';
import { toOrtFeeds, type OrtModule } from '../src/core/onnx/ort.ts';
import { allocationToConfig, siteKey, type ActivationRanges } from '../src/core/quant/config.ts';
import { exportQuantizedModel } from '../src/core/quant/export.ts';
import { buildParametricModel, DEFAULT_WEIGHT_BITS, PARAMETRIC_SESSION_OPTIONS } from '../src/core/quant/parametric.ts';
import { discoverUnits, type QuantUnit } from '../src/core/quant/units.ts';
import { buildEncoder, VIT_B_ENCODER } from './sam-graph.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const weightRange = (args.get('range') ?? 'mse') as 'mse' | 'minmax';
const widths = args.get('widths')?.split(',').map(Number) ?? [...DEFAULT_WEIGHT_BITS];
const ortModule = ort as unknown as OrtModule;

let peakRss = 0;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
function sample(): void {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const timer = setInterval(sample, 50);

async function step<T>(label: string, work: () => T | Promise<T>): Promise<T> {
  sample();
  const start = performance.now();
  const result = await work();
  sample();
  console.log(`${label.padEnd(44)} ${((performance.now() - start) / 1000).toFixed(2).padStart(8)} s   rss ${mib(process.memoryUsage().rss)}`);
  return result;
}

/** Ranges for the bench's export: the graph is random, so any plausible range exercises the same code. */
function syntheticRanges(units: readonly QuantUnit[]): ActivationRanges {
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const u of units) u.activationInputs.forEach((_, i) => (ranges[siteKey(u.id, i)] = u.postSoftmaxInput === i ? { min: 0, max: 1 } : { min: -6, max: 8 }));
  return ranges;
}

console.log(`ViT-B encoder: ${VIT_B_ENCODER.depth} blocks, width ${VIT_B_ENCODER.width}, ${VIT_B_ENCODER.imageSize}² input; weight ranges ${weightRange}, widths [${widths}]`);
const model = await step('build graph in TS', () => buildEncoder(VIT_B_ENCODER));
const bytes = await step('encode', () => encodeModelBytes(model));
console.log(`  model file ${mib(bytes.byteLength)}`);
const units = await step('discoverUnits', () => discoverUnits(model));
const quantizable = units.filter((u) => !u.excludedByDefault);
const params = quantizable.reduce((s, u) => s + u.params, 0);
console.log(`  ${units.length} units (${quantizable.length} quantizable: ${quantizable.filter((u) => u.kind === 'weight').length} weight, ${quantizable.filter((u) => u.kind === 'activation').length} activation), ${(params / 1e6).toFixed(1)} M quantizable params, ${(quantizable.reduce((s, u) => s + (u.macs ?? 0), 0) / 1e9).toFixed(1)} GMAC`);
const ranges = syntheticRanges(units);
const parametric = await step(`buildParametricModel (${widths.length} widths)`, () => buildParametricModel(model, units, { weightBits: widths, quantizer: { weightRange }, ranges }));
console.log(`  parametric file ${mib(parametric.bytes.byteLength)}`);
const original = await step('InferenceSession.create (original)', () => ort.InferenceSession.create(bytes));
await original.release();
const parametricSession = await step('InferenceSession.create (parametric)', () => ort.InferenceSession.create(parametric.bytes, PARAMETRIC_SESSION_OPTIONS));
await parametricSession.release();

for (const bits of [8, 4]) {
  const allocation = Object.fromEntries(quantizable.map((u) => [u.id, bits]));
  const result = await step(`exportQuantizedModel W${bits}A${bits}`, () => exportQuantizedModel(model, units, allocationToConfig(allocation, units), { ranges, simulation: parametric }));
  const s = result.sizes;
  console.log(`  file ${mib(s.fileBytes)}; Σ params·bits/8 = ${mib(s.idealWeightBytes)}, stored ${mib(s.storedWeightBytes)}, scales ${mib(s.scaleBytes)} (FP32 weights ${mib(s.fp32WeightBytes)})`);
  const session = await step(`InferenceSession.create (W${bits}A${bits} export)`, () => ort.InferenceSession.create(result.bytes));
  await session.release();
}

if (args.has('run')) {
  const small: ModelProto = buildEncoder({ ...VIT_B_ENCODER, imageSize: 256 });
  const smallUnits = discoverUnits(small);
  const smallParametric = buildParametricModel(small, smallUnits, { weightBits: [4], quantizer: { weightRange: 'minmax' }, ranges: syntheticRanges(smallUnits) });
  const feeds = { input_image: new ort.Tensor('float32', new Float32Array(3 * 256 * 256).map((_, i) => Math.sin(i)), [1, 3, 256, 256]) };
  const a = await ort.InferenceSession.create(encodeModelBytes(small), PARAMETRIC_SESSION_OPTIONS);
  const b = await ort.InferenceSession.create(smallParametric.bytes, PARAMETRIC_SESSION_OPTIONS);
  const w4a4 = allocationToConfig(Object.fromEntries(smallUnits.filter((u) => !u.excludedByDefault).map((u) => [u.id, 4])), smallUnits);
  for (const [label, session, extra] of [
    ['run 256² original', a, {}],
    ['run 256² parametric, FP feeds', b, toOrtFeeds(ortModule, smallParametric.feedsFor({}))],
    ['run 256² parametric, W4A4 feeds', b, toOrtFeeds(ortModule, smallParametric.feedsFor(w4a4))],
  ] as const) {
    await session.run({ ...feeds, ...extra }); // warm-up
    await step(label, () => session.run({ ...feeds, ...extra }));
  }
}
clearInterval(timer);
sample();
console.log(`peak rss ${mib(peakRss)}`);
