import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { decodeModel, encodeModel, encodeModelBytes, onnx } from './proto.ts';
import { DataType, makeTensor, packNibbles, readTensor } from './tensor.ts';

const decoderBytes = new Uint8Array(readFileSync(new URL('../../../public/models/demo-sam/decoder.onnx', import.meta.url)));
const decoderFeeds = () => ({
  image_embeddings: new ort.Tensor('float32', new Float32Array(128 * 256).map((_, i) => Math.cos(i * 0.01)), [1, 128, 16, 16]),
  point_coords: new ort.Tensor('float32', Float32Array.from([100, 120]), [1, 1, 2]),
  point_labels: new ort.Tensor('float32', Float32Array.from([1]), [1, 1]),
  mask_input: new ort.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
  has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
  orig_im_size: new ort.Tensor('float32', Float32Array.from([256, 256]), [2]),
});

async function runBytes(bytes: Uint8Array, externalData?: { path: string; data: Uint8Array }[]) {
  const session = await ort.InferenceSession.create(bytes, externalData ? { externalData } : {});
  const out = await session.run(decoderFeeds());
  await session.release();
  return out;
}

describe('ONNX read/write', () => {
  it('decode → encode keeps the demo decoder computing identical outputs', async () => {
    const expected = await runBytes(decoderBytes);
    const reencoded = encodeModelBytes(decodeModel(decoderBytes));
    const actual = await runBytes(reencoded);
    for (const name of Object.keys(expected)) expect(Array.from(actual[name].data as Float32Array)).toEqual(Array.from(expected[name].data as Float32Array));
  });

  it('writes and reads external data', async () => {
    const model = decodeModel(decoderBytes);
    const { model: bytes, externalFiles } = encodeModel(model, { externalData: { location: 'decoder.onnx.data', minBytes: 4096 } });
    expect(bytes.byteLength).toBeLessThan(decoderBytes.byteLength / 4);
    expect(model.graph!.initializer!.every((t) => t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL)).toBe(true); // input untouched
    const data = externalFiles.get('decoder.onnx.data')!;
    // onnxruntime reads the side file itself …
    const viaOrt = await runBytes(bytes, [{ path: 'decoder.onnx.data', data }]);
    const expected = await runBytes(decoderBytes);
    expect(Array.from(viaOrt.low_res_masks.data as Float32Array)).toEqual(Array.from(expected.low_res_masks.data as Float32Array));
    // … and decodeModel folds it back in.
    const restored = decodeModel(bytes, { externalFiles: { 'decoder.onnx.data': data } });
    const again = await runBytes(encodeModelBytes(restored));
    expect(Array.from(again.low_res_masks.data as Float32Array)).toEqual(Array.from(expected.low_res_masks.data as Float32Array));
    expect(() => decodeModel(bytes)).toThrow(/external file "decoder.onnx.data", which was not provided/);
  });

  it('refuses to encode past the 2 GB protobuf limit without external data', () => {
    const g = new GraphBuilder();
    g.op('Relu', [g.input('x', [1])], { output: 'y' });
    g.output('y');
    const model = g.toModel();
    // A stand-in for 2 GiB of weights (allocating them would be the test's only cost).
    model.graph!.initializer = [{ name: 'huge', dataType: DataType.FLOAT, dims: [2 ** 29], rawData: { byteLength: 2 ** 31 } as Uint8Array }];
    expect(() => encodeModelBytes(model)).toThrow(/over protobuf's 2 GB limit/);
    expect(() => decodeModel(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(/Not a readable ONNX model/);
  });

  it('reads every tensor layout: raw, typed fields, int64 via Long, int4 nibbles', () => {
    expect(Array.from(readTensor(makeTensor('f', DataType.FLOAT, [2], [1.5, -2])).data as ArrayLike<number>)).toEqual([1.5, -2]);
    expect(Array.from(readTensor({ name: 'i', dataType: DataType.INT8, dims: [3], int32Data: [-1, 5, 127] }).data as ArrayLike<number>)).toEqual([-1, 5, 127]);
    expect(readTensor({ name: 'l', dataType: DataType.INT64, dims: [2], int64Data: [{ low: 3, high: 0 }, { low: -1 >>> 0, high: -1 }] as never }).data).toEqual(BigInt64Array.from([3n, -1n]));
    expect(Array.from(readTensor({ name: 'h', dataType: DataType.FLOAT16, dims: [2], int32Data: [0x3c00, 0xc000] }).data as ArrayLike<number>)).toEqual([1, -2]);
    // int4: [1, -2, 7] packs as 0xE1, 0x07 (first value in the low nibble).
    expect(Array.from(packNibbles([1, -2, 7]))).toEqual([0xe1, 0x07]);
    expect(Array.from(readTensor(makeTensor('q', DataType.INT4, [3], [1, -2, 7])).data as ArrayLike<number>)).toEqual([1, -2, 7]);
    expect(() => readTensor({ name: 'bad', dataType: DataType.FLOAT, dims: [4], floatData: [1] })).toThrow(/holds 1 values but its shape \[4\] needs 4/);
  });
});
