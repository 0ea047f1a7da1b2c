/**
 * GPTQ on the demo SAM's graphs: the in-graph Hessians are XᵀX of the units' real inputs (MatMul and
 * im2col Conv), the GPTQ-rounded simulation beats round-to-nearest on held-out inputs, and the export of
 * a GPTQ configuration equals its simulation bit for bit.
 */
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeModelBytes } from '../onnx/proto';
import { toOrtFeeds, type OrtFeeds, type OrtModule } from '../onnx/ort';
import { withExtraOutputs } from '../onnx/rewrite';
import { foldWeight } from '../onnx/fold';
import { GraphIndex } from '../onnx/graph';
import { allocationToConfig, type QuantConfig } from '../quant/config';
import { exportQuantizedModel } from '../quant/export';
import { collectHessians } from '../quant/hessians';
import { buildParametricModel, type ParametricModel } from '../quant/parametric';
import { channelRows } from '../quant/quantizers';
import type { QuantUnit } from '../quant/units';
import { createReferenceSession, verifyExport } from '../quant/verify';
import { calibrationScenes } from '../study/scenes';
import { loadModelFiles } from '../../../tools/analyzeInputs';
import { imageFeeds, prepareSam, promptFeeds, type CalibrationItem, type PreparedSam } from './analysisModel';
import { promptsOfImage } from './analysisKeys';
import { defaultAnalysisSettings } from './settings';
import { samGptq, type SamGptqResult } from './samGptq';

const ortModule = ort as unknown as OrtModule;
const widths = [3, 4, 6];

let sam: PreparedSam;
let items: CalibrationItem[];
let gptq: SamGptqResult;
let heldOut: CalibrationItem;

beforeAll(async () => {
  sam = prepareSam(await loadModelFiles({}));
  const scenes = calibrationScenes(3);
  const settings = { ...defaultAnalysisSettings, promptsPerImage: 4 };
  [heldOut, ...items] = scenes.map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings) }));
  gptq = await samGptq({ ort: ortModule, sam, items, units: sam.probedUnits, widths });
}, 300_000);

async function runGraph(bytes: Uint8Array, feeds: OrtFeeds, names: readonly string[]): Promise<OrtFeeds> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]])), [...names]);
  } finally {
    await session.release();
  }
}

describe('GPTQ on the demo SAM', () => {
  it('rounds every MatMul, Gemm and one-group Conv unit; the rest keep round-to-nearest', () => {
    const weightUnits = sam.probedUnits.filter((u) => u.kind === 'weight');
    const rounded = weightUnits.filter((u) => gptq.weights.has(u.id));
    console.info(`GPTQ: ${rounded.length}/${weightUnits.length} weight units rounded (${gptq.nearest.length} nearest: ${[...new Set(gptq.nearest.map((id) => weightUnits.find((u) => u.id === id)!.op))].join(', ')}); Hessians ${gptq.timings.hessiansMs} ms, rounding ${gptq.timings.roundingMs} ms`);
    expect(rounded.some((u) => u.graph === 'encoder' && u.op === 'Conv')).toBe(true);
    expect(rounded.some((u) => u.graph === 'decoder' && u.op === 'MatMul')).toBe(true);
    expect(rounded.length + gptq.nearest.length).toBe(weightUnits.length);
    for (const id of gptq.nearest) expect(['ConvTranspose', 'Conv']).toContain(weightUnits.find((u) => u.id === id)!.op);
    for (const byWidth of gptq.weights.values()) expect([...byWidth.keys()]).toEqual(widths);
  });

  it('the in-graph Hessian is XᵀX of the real input: Σ_r w_r·H·w_rᵀ = ‖unit output − bias‖² for a Conv and a MatMul', async () => {
    const encoderUnits = sam.probedUnits.filter((u) => u.graph === 'encoder' && gptq.weights.has(u.id));
    const conv = encoderUnits.find((u) => u.op === 'Conv' && u.weight!.dims.slice(2).some((k) => k > 1))!;
    const matmul = encoderUnits.find((u) => u.op === 'MatMul')!;
    expect(conv).toBeDefined();
    const feeds = imageFeeds(ortModule, sam, items[0].image);
    const hessians = await collectHessians(ortModule, sam.encoder, [conv, matmul], [feeds]);
    const index = new GraphIndex(sam.encoder.graph!);
    for (const unit of [conv, matmul]) {
      const node = sam.encoder.graph!.node!.find((n) => n.name === unit.nodeName)!;
      const outputs = await runGraph(encodeModelBytes(withExtraOutputs(sam.encoder, [node.output![0]])), feeds, [node.output![0]]);
      const y = outputs[node.output![0]].data as Float32Array;
      const rows = channelRows(foldWeight(index, unit.weight!.value, unit.nodeName).data, unit.weight!.dims, unit.weight!.channelAxis);
      const bias = unit.op === 'Conv' && node.input![2] ? foldWeight(index, node.input![2], unit.nodeName).data : null;
      const h = hessians.get(unit.id)!;
      const f = rows[0].length;
      let quadratic = 0;
      for (const w of rows) {
        for (let i = 0; i < f; i++) {
          let hw = 0;
          for (let j = 0; j < f; j++) hw += h[i * f + j] * w[j];
          quadratic += w[i] * hw;
        }
      }
      // Conv output [1, C, H, W]: subtract the bias per channel; the MatMul has no bias inside the node.
      const channels = rows.length;
      const plane = unit.op === 'Conv' ? y.length / channels : 1;
      let energy = 0;
      for (let i = 0; i < y.length; i++) {
        const c = unit.op === 'Conv' ? Math.floor(i / plane) % channels : 0;
        energy += (y[i] - (bias ? bias[c] : 0)) ** 2;
      }
      console.info(`${unit.op} ${unit.nodeName}: Σ wHwᵀ = ${quadratic.toExponential(6)}, ‖y‖² = ${energy.toExponential(6)}`);
      expect(Math.abs(quadratic - energy) / energy).toBeLessThan(1e-4);
    }
  }, 120_000);

  describe.each(['encoder', 'decoder'] as const)('the %s', (graph) => {
    let units: QuantUnit[];
    let nearest: ParametricModel;
    let rounded: ParametricModel;
    let inputs: OrtFeeds;
    const output = graph === 'encoder' ? 'image_embeddings' : 'low_res_masks';

    beforeAll(async () => {
      units = sam.probedUnits.filter((u) => u.graph === graph);
      const model = graph === 'encoder' ? sam.encoder : sam.decoder;
      nearest = buildParametricModel(model, units, { weightBits: widths });
      rounded = buildParametricModel(model, units, { weightBits: widths, roundedWeights: gptq.weights });
      const image = imageFeeds(ortModule, sam, heldOut.image);
      if (graph === 'encoder') inputs = image;
      else {
        const embedding = await runGraph(encodeModelBytes(sam.encoder), image, sam.adapter.embeddingNames);
        inputs = { ...promptFeeds(ortModule, sam, heldOut).runs[0], ...embedding };
      }
    }, 120_000);

    const weightsOnly = (bits: number): QuantConfig => Object.fromEntries(units.filter((u) => u.kind === 'weight').map((u) => [u.id, { wBits: bits, aBits: null }]));

    it.each([3, 4])('at W%i (weights only), GPTQ rounding is closer to FP than round-to-nearest on a held-out image', async (bits) => {
      const session = await ort.InferenceSession.create(nearest.bytes);
      const gptqSession = await ort.InferenceSession.create(rounded.bytes);
      try {
        const fp = (await session.run({ ...inputs, ...toOrtFeeds(ortModule, nearest.feedsFor({})) }))[output].data as Float32Array;
        const error = async (s: typeof session, p: ParametricModel) => {
          const y = (await s.run({ ...inputs, ...toOrtFeeds(ortModule, p.feedsFor(weightsOnly(bits))) }))[output].data as Float32Array;
          return y.reduce((sum, v, i) => sum + (v - fp[i]) ** 2, 0) / y.length;
        };
        const [rtn, gptqError] = [await error(session, nearest), await error(gptqSession, rounded)];
        console.info(`${graph} W${bits} weights only: output MSE vs FP, GPTQ ${gptqError.toExponential(3)} vs nearest ${rtn.toExponential(3)} (${(gptqError / rtn).toFixed(3)}×)`);
        expect(gptqError).toBeLessThan(rtn);
      } finally {
        await session.release();
        await gptqSession.release();
      }
    }, 120_000);

    it('the export of a GPTQ configuration equals its simulation bit for bit', async () => {
      const allocation = Object.fromEntries(units.filter((u) => u.kind === 'weight').map((u, i) => [u.id, widths[i % widths.length]]));
      const config = allocationToConfig(allocation, units.filter((u) => u.kind === 'weight'));
      for (const id of Object.keys(config)) config[id] = { wBits: config[id].wBits, aBits: null };
      const simulation = await createReferenceSession(ortModule, rounded.bytes);
      try {
        const exported = exportQuantizedModel(graph === 'encoder' ? sam.encoder : sam.decoder, units, config, { simulation: rounded });
        const result = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, rounded.feedsFor(config)) }, exported.bytes, inputs);
        expect(result.perOutput[output].range).toBeGreaterThan(0);
        expect(result.maxAbsError).toBe(0);
        // Not vacuous: the same export without the rounded weights differs from the GPTQ simulation.
        const plain = exportQuantizedModel(graph === 'encoder' ? sam.encoder : sam.decoder, units, config, { simulation: nearest });
        const other = await verifyExport(ortModule, { session: simulation, feeds: toOrtFeeds(ortModule, rounded.feedsFor(config)) }, plain.bytes, inputs);
        expect(other.maxAbsError).toBeGreaterThan(0);
      } finally {
        await simulation.release();
      }
    }, 120_000);
  });
});
