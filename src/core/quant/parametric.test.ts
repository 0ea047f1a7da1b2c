import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEncoder, TINY_ENCODER } from '../../../bench/sam-graph.ts';
import { foldWeight } from '../onnx/fold.ts';
import { GraphIndex } from '../onnx/graph.ts';
import { toOrtFeeds, type OrtModule } from '../onnx/ort.ts';
import { decodeModel, encodeModelBytes } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { calibrate } from './calibration.ts';
import type { ActivationRanges, QuantConfig } from './config.ts';
import { buildParametricModel, PARAMETRIC_SESSION_OPTIONS, type ParametricModel } from './parametric.ts';
import { activationParams, DEFAULT_QUANTIZER, fakeQuantArray, fakeQuantWeight, log2QuantArray, weightParams } from './quantizers.ts';
import { discoverUnits, type QuantUnit } from './units.ts';

const ortModule = ort as unknown as OrtModule;
const model = buildEncoder(TINY_ENCODER);
const units = discoverUnits(model);
const image = (seed: number) => {
  const data = new Float32Array(3 * 32 * 32).map((_, i) => 2 * Math.sin(i * 0.37 + seed) + Math.cos(i * 0.011 * seed));
  return { input_image: new ort.Tensor('float32', data, [1, 3, 32, 32]) };
};

let ranges: ActivationRanges;
let pm: ParametricModel;

/** Runs the parametric model with a configuration and returns the given internal values too. */
async function runWith(config: QuantConfig, extra: string[] = []) {
  const bytes = extra.length ? encodeModelBytes(withExtraOutputs(decodeModel(pm.bytes), extra)) : pm.bytes;
  const session = await ort.InferenceSession.create(bytes, PARAMETRIC_SESSION_OPTIONS);
  const out = await session.run({ ...image(1), ...toOrtFeeds(ortModule, pm.feedsFor(config)) });
  await session.release();
  return out;
}

/** Value names the unit node reads in the parametric graph (the quantized inputs). */
function nodeInputs(unit: QuantUnit): string[] {
  const node = decodeModel(pm.bytes).graph!.node!.find((n) => n.name === unit.nodeName)!;
  return [...node.input!];
}

beforeAll(async () => {
  ranges = await calibrate(ortModule, model, units, [image(1), image(2), image(3)]);
  pm = buildParametricModel(model, units, { ranges });
});

describe('parametric fake-quant model', () => {
  it('FP feeds reproduce the original model bit for bit', async () => {
    const original = await ort.InferenceSession.create(encodeModelBytes(model), PARAMETRIC_SESSION_OPTIONS);
    const expected = (await original.run(image(1))).image_embeddings.data as Float32Array;
    const actual = (await runWith({})).image_embeddings.data as Float32Array;
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });

  it('dequantized weights equal the reference quantizer exactly, at every candidate width', async () => {
    const index = new GraphIndex(model.graph!);
    for (const unit of units.filter((u) => u.kind === 'weight' && u.role !== 'rel_pos')) {
      const folded = foldWeight(index, unit.weight!.value, unit.nodeName);
      for (const bits of [2, 4, 8]) {
        const name = nodeInputs(unit)[unit.weight!.inputIndex];
        const out = await runWith({ [unit.id]: { wBits: bits, aBits: null } }, [name]);
        const reference = fakeQuantWeight(folded.data, folded.dims, unit.weight!.channelAxis, weightParams(folded.data, folded.dims, unit.weight!.channelAxis, bits, DEFAULT_QUANTIZER));
        expect(Array.from(out[name].data as Float32Array), `${unit.id} @ ${bits} bits`).toEqual(Array.from(reference));
        expect(new Set(reference).size).toBeLessThanOrEqual(2 ** bits * folded.dims[unit.weight!.channelAxis]);
      }
    }
  });

  it('uniform activation quantization equals the reference exactly', async () => {
    const unit = units.find((u) => u.role === 'mlp.lin2')!;
    const quantized = nodeInputs(unit)[0];
    const out = await runWith({ [unit.id]: { wBits: null, aBits: 4 } }, [quantized, unit.activationInputs[0]]);
    const range = ranges[`${unit.id}#0`];
    const reference = fakeQuantArray(out[unit.activationInputs[0]].data as Float32Array, activationParams(range.min, range.max, 4));
    expect(Array.from(out[quantized].data as Float32Array)).toEqual(Array.from(reference));
    expect(new Set(reference).size).toBeLessThanOrEqual(16);
  });

  it('log2 post-softmax quantization matches the reference within one level on < 0.1% of elements', async () => {
    const unit = units.find((u) => u.role === 'softmax·v')!;
    const [attention] = nodeInputs(unit);
    const out = await runWith({ [unit.id]: { wBits: null, aBits: 4 } }, [attention, unit.activationInputs[0]]);
    const input = out[unit.activationInputs[0]].data as Float32Array;
    const reference = log2QuantArray(input, Math.fround(ranges[`${unit.id}#0`].max), 4, DEFAULT_QUANTIZER.log2Tau);
    const actual = out[attention].data as Float32Array;
    let differing = 0;
    for (let i = 0; i < actual.length; i++) {
      if (Math.abs(actual[i] - reference[i]) > 1e-6 * Math.abs(reference[i])) {
        differing++;
        // A rounding-boundary flip moves one level: a factor 2^(1/τ).
        expect(Math.max(actual[i], reference[i]) / Math.min(actual[i], reference[i])).toBeCloseTo(2 ** (1 / DEFAULT_QUANTIZER.log2Tau), 4);
      }
    }
    expect(differing / actual.length).toBeLessThan(1e-3);
  });

  it('ablation zeros the unit output (bias included) and changes the model output', async () => {
    const unit = units.find((u) => u.role === 'proj')!;
    const out = await runWith({ [unit.id]: { wBits: null, aBits: null, ablate: true } }, [unit.output]);
    expect((out[unit.output].data as Float32Array).every((v) => v === 0)).toBe(true);
    const fp = await runWith({});
    expect(out.image_embeddings.data).not.toEqual(fp.image_embeddings.data);
  });

  it('rejects bad configurations with clear messages', () => {
    const qkv = units.find((u) => u.role === 'qkv')!.id;
    const attention = units.find((u) => u.role === 'q·kᵀ')!.id;
    expect(() => pm.feedsFor({ [qkv]: { wBits: 9, aBits: null } })).toThrow(/weight width 9 is not among/);
    expect(() => pm.feedsFor({ [attention]: { wBits: 4, aBits: null } })).toThrow(/has no weight/);
    expect(() => pm.feedsFor({ 'encoder:/nope': { wBits: 4, aBits: null } })).toThrow(/Unknown unit/);
    expect(() => pm.feedsFor({ [qkv]: { wBits: 4, aBits: 4 } }, { ranges: {} })).toThrow(/No calibrated range/);
    expect(pm.feedsFor({ 'decoder:/other/MatMul': { wBits: 4, aBits: 4 } })).toBeDefined(); // other graph: ignored
  });
});
