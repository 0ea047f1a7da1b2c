import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { findCuts, indexGraph, withCutOutputs } from '../analysis/encoderSegments';
import { prepareSam } from '../analysis/analysisModel';
import { buildParametricModel } from '../quant/parametric';
import { GraphBuilder } from './builder';
import { intAttr } from './graph';
import { decodeModel, encodeModelBytes } from './proto';
import { withExtraOutputs } from './rewrite';
import { DataType } from './tensor';
import { inferElemTypes, requireElemType } from './types';

const fixture = new URL('../../../../shared/fixtures/mobilesam-random/', import.meta.url);
const fixturePresent = existsSync(new URL('encoder.onnx', fixture));

/** Runs the model with every named value as an extra output: onnxruntime refuses a declared type that is wrong. */
async function runWithOutputs(model: ReturnType<GraphBuilder['toModel']>, names: string[], feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, names)));
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('element types from the operators, not from the first typed input', () => {
  it('Where(bool gate, x, y) is float; comparisons bool; Shape int64; Cast and Constant from their attributes', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 3]);
    const gate = b.op('Greater', [x, b.floats('zero', [0])]);
    const picked = b.op('Where', [gate, x, b.op('Neg', [x])]);
    const shape = b.op('Shape', [picked]);
    const asInt = b.op('Cast', [picked], { attributes: [intAttr('to', DataType.INT32)] });
    const size = b.op('Size', [asInt]);
    b.output(b.op('Relu', [picked]));
    const model = b.toModel(17);
    const types = inferElemTypes(model.graph!);
    expect([gate, picked, shape, asInt, size].map((name) => types.get(name))).toEqual([DataType.BOOL, DataType.FLOAT, DataType.INT64, DataType.INT32, DataType.INT64]);
    const out = await runWithOutputs(model, [gate, picked, shape, asInt, size], { x: new ort.Tensor('float32', Float32Array.from([-1, 2, -3, 4, -5, 6]), [2, 3]) });
    expect(out[picked].type).toBe('float32');
    expect(out[gate].type).toBe('bool');
    expect(Array.from(out[picked].data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('GELU decomposed into Div/Erf/Add/Mul keeps float; QuantizeLinear takes its zero point type', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [4]);
    const erf = b.op('Erf', [b.op('Div', [x, b.floats('sqrt2', [Math.SQRT2])])]);
    const gelu = b.op('Mul', [b.op('Mul', [x, b.op('Add', [erf, b.floats('one', [1])])]), b.floats('half', [0.5])]);
    const q = b.op('QuantizeLinear', [gelu, b.floats('s', [0.1]), b.init('z', [], Int8Array.from([0]), DataType.INT8)]);
    const dq = b.op('DequantizeLinear', [q, b.floats('s2', [0.1]), 'z']);
    b.output(dq);
    const types = inferElemTypes(b.toModel(17).graph!);
    expect([erf, gelu, q, dq].map((n) => types.get(n))).toEqual([DataType.FLOAT, DataType.FLOAT, DataType.INT8, DataType.FLOAT]);
  });

  it('says which value and node it cannot type instead of guessing', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [4]);
    const custom = b.node('MysteryOp', [x], { domain: 'com.example', name: 'mystery' })[0];
    b.output(b.op('Relu', [custom]));
    const graph = b.toModel(17).graph!;
    expect(() => requireElemType(inferElemTypes(graph), graph, custom)).toThrow(/node "mystery" \(com\.example\.MysteryOp\)/);
  });
});

describe.skipIf(!fixturePresent)('graph passes on MobileSAM as its authors export it', () => {
  it('the parametric TinyViT encoder (Conv+BN, decomposed GELU, If gates) has float cut values, and onnxruntime accepts them as outputs', async () => {
    const files = { encoder: new Uint8Array(readFileSync(new URL('encoder.onnx', fixture))), decoder: new Uint8Array(readFileSync(new URL('decoder.onnx', fixture))) };
    const sam = prepareSam(files);
    const units = sam.probedUnits.filter((u) => u.graph === 'encoder');
    const parametric = decodeModel(buildParametricModel(sam.encoder, units, { weightBits: [4] }).bytes);
    const index = indexGraph(parametric.graph!, ['input_image']);
    const cuts = findCuts(index, 1);
    expect(cuts.length).toBeGreaterThan(10);
    const cutTypes = new Set(cuts.flatMap((cut) => cut.tensors.map((t) => index.elemTypeOf.get(t))));
    expect([...cutTypes]).toEqual([DataType.FLOAT]);
    // Building a session with a handful of cut values as outputs is what failed with "tensor(bool) … does not match".
    const chosen = [cuts[1], cuts[Math.floor(cuts.length / 2)], cuts[cuts.length - 2]].flatMap((cut) => cut.tensors);
    const session = await ort.InferenceSession.create(encodeModelBytes(withCutOutputs(parametric, index, chosen)));
    expect(session.outputNames).toEqual(expect.arrayContaining(chosen));
    await session.release();
  }, 120_000);
});
