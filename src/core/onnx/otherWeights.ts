import { decodeModel, encodeModelBytes, onnx } from './proto';

/**
 * The same graph with every large float initializer scaled by 1 ± 2 %: another model of the same
 * architecture (what a user's fine-tuned export of the same SAM is to the studio). For tests.
 */
export function withOtherWeights(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  let changed = 0;
  for (const tensor of model.graph!.initializer ?? []) {
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT || !tensor.rawData || tensor.rawData.byteLength < 1024) continue;
    const values = new Float32Array(tensor.rawData.slice().buffer);
    for (let i = 0; i < values.length; i++) values[i] *= 1 + 0.02 * Math.sin(i + changed);
    tensor.rawData = new Uint8Array(values.buffer);
    changed++;
  }
  if (changed === 0) throw new Error('no initializer to change');
  return encodeModelBytes(model);
}
