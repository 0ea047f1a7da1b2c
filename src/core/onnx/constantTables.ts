/**
 * Lossless shrinking of large float constants that repeat one pattern along their first axis, such as
 * TinyViT's attention biases ([heads, N, N] gathered from a small table at export time: 4.9 MB of
 * MobileSAM's 27.8 MB encoder). Each is stored as its distinct columns, a [H, U] table, and a uint16 index
 * per position, and rebuilt by Cast + Gather; both inputs are constant, so onnxruntime folds them back
 * into the same float constant when the session is created: the file shrinks, the run is unchanged.
 */
import { GraphBuilder } from './builder.ts';
import { intAttr } from './graph.ts';
import { onnx, type GraphProto, type TensorProto } from './proto.ts';
import { spliceNodes } from './rewrite.ts';
import { DataType, makeTensor, readFloatTensor, tensorDims } from './tensor.ts';

/** Constants smaller than this are left alone. */
const MIN_BYTES = 64 * 1024;

interface Table {
  table: Float32Array;
  index: Uint16Array;
  classes: number;
}

/** Distinct columns of a [H, R] array, or null when there are too many to pay off. */
function tableOf(data: Float32Array, heads: number): Table | null {
  const rest = data.length / heads;
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const classes = new Map<string, number>();
  const index = new Uint16Array(rest);
  const firsts: number[] = [];
  for (let p = 0; p < rest; p++) {
    let key = '';
    for (let h = 0; h < heads; h++) key += `${bits[h * rest + p]},`;
    let k = classes.get(key);
    if (k === undefined) {
      k = classes.size;
      if (k > 0xffff) return null;
      classes.set(key, k);
      firsts.push(p);
    }
    index[p] = k;
  }
  const u = classes.size;
  // Worth it when table + index take at most half the original bytes.
  if (heads * u * 4 + rest * 2 > 0.5 * data.length * 4) return null;
  const table = new Float32Array(heads * u);
  for (let h = 0; h < heads; h++) for (let k = 0; k < u; k++) table[h * u + k] = data[h * rest + firsts[k]];
  return { table, index, classes: u };
}

/** Rewrites the graph's large repeating float constants (Constant nodes); returns the bytes saved. */
export function tabulateRepeatedConstants(graph: GraphProto): number {
  let saved = 0;
  const b = new GraphBuilder('table/');
  spliceNodes(graph, b, {
    before(node) {
      if (node.opType !== 'Constant' || node.domain) return;
      const value = node.attribute?.find((a) => a.name === 'value')?.t as TensorProto | undefined;
      if (!value || value.dataType !== DataType.FLOAT) return;
      const dims = tensorDims(value);
      const { data } = readFloatTensor(value);
      if (dims.length < 2 || data.length * 4 < MIN_BYTES) return;
      const found = tableOf(data, dims[0]);
      if (!found) return;
      const base = b.fresh((node.name || node.output![0]).replace(/^\//, '').replaceAll('/', '.'));
      b.initializers.push(makeTensor(`${base}_table`, DataType.FLOAT, [dims[0], found.classes], found.table));
      const raw = new Uint8Array(found.index.buffer, found.index.byteOffset, found.index.byteLength);
      b.initializers.push(onnx.TensorProto.create({ name: `${base}_index`, dataType: DataType.UINT16, dims: dims.slice(1), rawData: raw }));
      const index = b.op('Cast', [`${base}_index`], { name: `${node.name}/index/Cast`, attributes: [intAttr('to', DataType.INT32)] });
      node.opType = 'Gather';
      node.input = [`${base}_table`, index];
      node.attribute = [intAttr('axis', 1)];
      saved += data.length * 4 - found.table.length * 4 - found.index.length * 2;
    },
  });
  return saved;
}
