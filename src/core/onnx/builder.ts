/** A small graph builder: tests, benchmarks and rewrite passes write ONNX with it. */
import { onnx, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.ts';
import { DataType, makeTensor } from './tensor.ts';

export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[] | null): ValueInfoProto {
  const shape = dims === null ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType, shape } } };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly prefix = '') {}

  /** A fresh value name. */
  fresh(hint: string): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  input(name: string, dims: readonly (number | string)[], elemType: number = DataType.FLOAT): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number = DataType.FLOAT, dims: readonly (number | string)[] | null = null): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Adds an initializer (float32 unless told). */
  init(name: string, dims: readonly number[], values: ArrayLike<number> | BigInt64Array, dataType: number = DataType.FLOAT): string {
    this.initializers.push(makeTensor(name, dataType, dims, values));
    return name;
  }

  /** Adds a float32 scalar or vector constant initializer. */
  floats(hint: string, values: readonly number[], dims: readonly number[] = values.length === 1 ? [] : [values.length]): string {
    return this.init(this.fresh(hint), dims, Float32Array.from(values));
  }

  ints64(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.init(this.fresh(hint), dims, BigInt64Array.from(values, (v) => BigInt(v)), DataType.INT64);
  }

  /** Adds a node; returns its output names (one fresh name per output unless given). */
  node(opType: string, inputs: readonly string[], options: { outputs?: string[] | number; name?: string; attributes?: AttributeProto[]; domain?: string } = {}): string[] {
    const count = typeof options.outputs === 'number' ? options.outputs : (options.outputs?.length ?? 1);
    const outputs = Array.isArray(options.outputs) ? options.outputs : Array.from({ length: count }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: [...inputs],
        output: outputs,
        name: options.name ?? this.fresh(`/${opType}`),
        attribute: options.attributes ?? [],
        domain: options.domain ?? '',
      }),
    );
    return outputs;
  }

  /** Single-output shorthand for node(). */
  op(opType: string, inputs: readonly string[], options: { output?: string; name?: string; attributes?: AttributeProto[] } = {}): string {
    return this.node(opType, inputs, { ...options, outputs: options.output ? [options.output] : 1 })[0];
  }

  toModel(opset = 17, irVersion = 8): ModelProto {
    return onnx.ModelProto.create({
      irVersion,
      producerName: 'mix-qsam-studio',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: 'graph',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }
}
