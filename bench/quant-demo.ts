/**
 * The demo SAM through the quantization engine: discovery, calibration, the parametric model,
 * per-run cost of the fake-quant gates, export and its agreement with the simulation, file sizes.
 * Inputs are the procedural scenes of src/core/synth (one box prompt per scene).
 *
 *   npx tsx bench/quant-demo.ts
 *
 * Export agreement is measured twice: with REFERENCE_SESSION_OPTIONS for both sessions (the same
 * float operations: isolates what the file encodes), and as the studio would see it in use: the
 * analysis session (PARAMETRIC_SESSION_OPTIONS) against the file under onnxruntime's default options
 * (constant folding, fusions and weight pre-packing change last bits, and a last-bit change at a
 * rounding boundary moves a value by one quantization level).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../src/core/onnx/ort.ts';
import { decodeModel, encodeModelBytes, type ModelProto } from '../src/core/onnx/proto.ts';
import { normalizeAndPadChw } from '../src/core/sam/preprocess.ts';
import { generateScene } from '../src/core/synth/scene.ts';
import { calibrate } from '../src/core/quant/calibration.ts';
import { allocationToConfig, type ActivationRanges, type QuantConfig } from '../src/core/quant/config.ts';
import { exportQuantizedModel } from '../src/core/quant/export.ts';
import { chooseLog2Taus } from '../src/core/quant/log2-tau.ts';
import { buildParametricModel, PARAMETRIC_SESSION_OPTIONS, type ParametricModel } from '../src/core/quant/parametric.ts';
import type { QuantUnit } from '../src/core/quant/units.ts';
import { discoverUnitsProbed } from '../src/core/quant/units-probe.ts';
import { createReferenceSession, verifyExport } from '../src/core/quant/verify.ts';

const ortModule = ort as unknown as OrtModule;
const load = (name: string) => decodeModel(readFileSync(new URL(`../public/models/demo-sam/${name}`, import.meta.url)));
const seconds = (start: number) => `${((performance.now() - start) / 1000).toFixed(2)} s`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

const scenes = Array.from({ length: 8 }, (_, i) => generateScene(100 + i, { size: 256 }));
const imageFeeds = scenes.map((scene) => toOrtFeeds(ortModule, { input_image: normalizeAndPadChw({ width: 256, height: 256, data: scene.rgba }, 256) }));
const calibrationCount = 6; // scenes 0–5 calibrate, 6–7 are held out for the export checks

async function medianRunMs(session: ort.InferenceSession, feeds: OrtFeeds, repeats = 5): Promise<number> {
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)];
}

function uniform(units: readonly QuantUnit[], bits: number): QuantConfig {
  return allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u) => [u.id, bits])), units);
}

function mixed(units: readonly QuantUnit[]): QuantConfig {
  const widths = [4, 6, 8, 5, 3];
  return allocationToConfig(Object.fromEntries(units.filter((u) => !u.excludedByDefault).map((u, i) => [u.id, widths[i % widths.length]])), units);
}

async function benchGraph(label: string, model: ModelProto, output: string, probeFeeds: OrtFeeds, calibrationFeeds: OrtFeeds[], heldOut: OrtFeeds[]): Promise<void> {
  console.log(`\n== ${label} ==`);
  let start = performance.now();
  const units = await discoverUnitsProbed(ortModule, model, probeFeeds, { graph: label === 'encoder' ? 'encoder' : 'decoder' });
  const quantizable = units.filter((u) => !u.excludedByDefault);
  console.log(`discover (with shape probe)   ${seconds(start)}: ${units.length} units, ${quantizable.length} quantizable (${quantizable.filter((u) => u.kind === 'weight').length} weight, ${quantizable.filter((u) => u.kind === 'activation').length} activation), ${quantizable.reduce((s, u) => s + u.params, 0)} params, ${(quantizable.reduce((s, u) => s + (u.macs ?? 0), 0) / 1e6).toFixed(1)} MMAC`);
  start = performance.now();
  const ranges: ActivationRanges = await calibrate(ortModule, model, units, calibrationFeeds);
  console.log(`calibrate (${calibrationFeeds.length} runs)             ${seconds(start)}`);
  start = performance.now();
  const log2Tau = await chooseLog2Taus(ortModule, model, units, ranges, calibrationFeeds.slice(0, 2));
  console.log(`choose log2 τ                 ${seconds(start)}: ${JSON.stringify(Object.values(log2Tau).reduce<Record<number, number>>((m, t) => ({ ...m, [t]: (m[t] ?? 0) + 1 }), {}))} (τ: units)`);
  start = performance.now();
  const parametric: ParametricModel = buildParametricModel(model, units, { ranges, log2Tau });
  console.log(`buildParametricModel (7 widths, MSE) ${seconds(start)}; ${kib(parametric.bytes.byteLength)} vs original ${kib(encodeModelBytes(model).byteLength)}`);
  start = performance.now();
  const simulation = await ort.InferenceSession.create(parametric.bytes, PARAMETRIC_SESSION_OPTIONS);
  console.log(`session create (parametric)   ${seconds(start)}`);
  const referenceSimulation = await createReferenceSession(ortModule, parametric.bytes);
  const original = await ort.InferenceSession.create(encodeModelBytes(model), PARAMETRIC_SESSION_OPTIONS);
  const sample = heldOut[0];
  const fpFeeds = toOrtFeeds(ortModule, parametric.feedsFor({}));
  const reference = await original.run(sample);
  const fp = await simulation.run({ ...sample, ...fpFeeds });
  const fpDiff = maxAbsDiff(reference[output].data as Float32Array, fp[output].data as Float32Array);
  console.log(`FP feeds vs original model:   max |Δ| = ${fpDiff}`);
  const w4a4 = toOrtFeeds(ortModule, parametric.feedsFor(uniform(units, 4)));
  console.log(
    `run median: original ${(await medianRunMs(original, sample)).toFixed(1)} ms, parametric FP ${(await medianRunMs(simulation, { ...sample, ...fpFeeds })).toFixed(1)} ms, ` +
      `parametric W4A4 ${(await medianRunMs(simulation, { ...sample, ...w4a4 })).toFixed(1)} ms, parametric W4A4 unoptimized (reference) ${(await medianRunMs(referenceSimulation, { ...sample, ...w4a4 })).toFixed(1)} ms`,
  );

  for (const [name, config] of [['W8A8', uniform(units, 8)], ['W6A6', uniform(units, 6)], ['W4A4', uniform(units, 4)], ['mixed 3–8', mixed(units)]] as const) {
    start = performance.now();
    const exported = exportQuantizedModel(model, units, config, { ranges, log2Tau, simulation: parametric });
    const exportTime = seconds(start);
    const feeds = toOrtFeeds(ortModule, parametric.feedsFor(config));
    let exact = 0;
    let deployed = 0;
    let range = 0;
    for (const inputs of heldOut) {
      const a = await verifyExport(ortModule, { session: referenceSimulation, feeds }, exported.bytes, inputs);
      const b = await verifyExport(ortModule, { session: simulation, feeds }, exported.bytes, inputs, {});
      exact = Math.max(exact, a.perOutput[output].maxAbsError);
      deployed = Math.max(deployed, b.perOutput[output].maxAbsError);
      range = Math.max(range, a.perOutput[output].range);
    }
    const quantized = await simulation.run({ ...sample, ...feeds });
    const s = exported.sizes;
    console.log(
      `${name.padEnd(9)} export ${exportTime}; ${output} range ${range.toFixed(3)}; |sim − FP| ${maxAbsDiff(fp[output].data as Float32Array, quantized[output].data as Float32Array).toExponential(2)}; ` +
        `export vs sim: reference options ${exact.toExponential(2)} (${(exact / range).toExponential(2)} of range), in use ${deployed.toExponential(2)} (${(deployed / range).toExponential(2)})`,
    );
    console.log(`          file ${kib(s.fileBytes)}; quantized weights Σ p·b/8 ${kib(s.idealWeightBytes)}, stored ${kib(s.storedWeightBytes)}, scales+zero points ${kib(s.scaleBytes)}, were ${kib(s.fp32WeightBytes)} as FP32`);
  }
  await simulation.release();
  await referenceSimulation.release();
  await original.release();
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const encoder = load('encoder.onnx');
const decoder = load('decoder.onnx');
await benchGraph('encoder', encoder, 'image_embeddings', imageFeeds[0], imageFeeds.slice(0, calibrationCount), imageFeeds.slice(calibrationCount));

const encoderSession = await ort.InferenceSession.create(encodeModelBytes(encoder));
const decoderFeeds: OrtFeeds[] = [];
for (const [i, scene] of scenes.entries()) {
  const embeddings = (await encoderSession.run(imageFeeds[i])).image_embeddings;
  const box = scene.objects.find((o) => o.box)?.box ?? [0, 0, 255, 255];
  decoderFeeds.push({
    image_embeddings: embeddings,
    // Box corners in the 256² input frame (the image is already 256², so no rescaling).
    point_coords: new ort.Tensor('float32', Float32Array.from(box), [1, 2, 2]),
    point_labels: new ort.Tensor('float32', Float32Array.from([2, 3]), [1, 2]),
    mask_input: new ort.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
    has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
    orig_im_size: new ort.Tensor('float32', Float32Array.from([256, 256]), [2]),
  });
}
await benchGraph('decoder', decoder, 'low_res_masks', decoderFeeds[0], decoderFeeds.slice(0, calibrationCount), decoderFeeds.slice(calibrationCount));
