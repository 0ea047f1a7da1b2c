/** TensorProto ⇄ typed arrays, for every layout ONNX allows (raw_data or the typed repeated fields). */
import { int64ToNumber, onnx, type Int64Like, type TensorProto } from './proto.ts';

/** ONNX TensorProto.DataType codes (the generated enum predates INT4/UINT4, so they are listed here). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
  UINT4: 21,
  INT4: 22,
} as const;

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface TensorData {
  dataType: number;
  dims: number[];
  /** Values; INT4/UINT4 unpacked one per byte, FLOAT16/BFLOAT16 widened to float32. */
  data: NumericArray;
}

export function dataTypeName(code: number): string {
  return Object.entries(DataType).find(([, v]) => v === code)?.[0] ?? `type ${code}`;
}

export function tensorDims(tensor: TensorProto): number[] {
  return (tensor.dims ?? []).map((d) => int64ToNumber(d as Int64Like));
}

export function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Reads a tensor's values (external data must already be resolved, see decodeModel). */
export function readTensor(tensor: TensorProto): TensorData {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new Error(`Tensor "${tensor.name}" has unresolved external data; pass the data file to decodeModel.`);
  }
  const dims = tensorDims(tensor);
  const count = numel(dims);
  const dataType = tensor.dataType ?? 0;
  const raw = tensor.rawData && tensor.rawData.byteLength > 0 ? tensor.rawData : null;
  const data = raw ? fromRaw(dataType, raw, count, tensor.name ?? '') : fromFields(dataType, tensor, count);
  if (data.length !== count) {
    throw new Error(`Tensor "${tensor.name}" holds ${data.length} values but its shape [${dims}] needs ${count}.`);
  }
  return { dataType, dims, data };
}

/** Reads a floating-point tensor as float32 (float16/bfloat16/double widened or narrowed). */
export function readFloatTensor(tensor: TensorProto): { dims: number[]; data: Float32Array } {
  const { dataType, dims, data } = readTensor(tensor);
  if (dataType === DataType.FLOAT) return { dims, data: data as Float32Array };
  if (dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16 || dataType === DataType.DOUBLE) {
    return { dims, data: Float32Array.from(data as Float32Array | Float64Array) };
  }
  throw new Error(`Tensor "${tensor.name}" is ${dataTypeName(dataType)}, expected a floating-point tensor.`);
}

/** Reads an integer tensor as plain numbers (shapes, axes, indices). */
export function readIntTensor(tensor: TensorProto): number[] {
  const { data } = readTensor(tensor);
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

function copyAligned(raw: Uint8Array): ArrayBuffer {
  return new Uint8Array(raw).buffer; // a copy: Node Buffer.slice would share the pool
}

function fromRaw(dataType: number, raw: Uint8Array, count: number, name: string): NumericArray {
  const buffer = copyAligned(raw);
  switch (dataType) {
    case DataType.FLOAT:
      return new Float32Array(buffer);
    case DataType.DOUBLE:
      return new Float64Array(buffer);
    case DataType.INT8:
      return new Int8Array(buffer);
    case DataType.UINT8:
    case DataType.BOOL:
      return new Uint8Array(buffer);
    case DataType.INT16:
      return new Int16Array(buffer);
    case DataType.UINT16:
      return new Uint16Array(buffer);
    case DataType.INT32:
      return new Int32Array(buffer);
    case DataType.UINT32:
      return new Uint32Array(buffer);
    case DataType.INT64:
      return new BigInt64Array(buffer);
    case DataType.UINT64:
      return new BigUint64Array(buffer);
    case DataType.FLOAT16:
      return Float32Array.from(new Uint16Array(buffer), halfToFloat);
    case DataType.BFLOAT16:
      return Float32Array.from(new Uint16Array(buffer), (h) => bfloatToFloat(h));
    case DataType.INT4:
    case DataType.UINT4:
      return unpackNibbles(raw, count, dataType === DataType.INT4);
    default:
      throw new Error(`Tensor "${name}" has unsupported data type ${dataTypeName(dataType)}.`);
  }
}

function fromFields(dataType: number, tensor: TensorProto, count: number): NumericArray {
  const int32 = tensor.int32Data ?? [];
  switch (dataType) {
    case DataType.FLOAT:
      return Float32Array.from(tensor.floatData ?? []);
    case DataType.DOUBLE:
      return Float64Array.from(tensor.doubleData ?? []);
    case DataType.INT8:
      return Int8Array.from(int32);
    case DataType.UINT8:
    case DataType.BOOL:
      return Uint8Array.from(int32);
    case DataType.INT16:
      return Int16Array.from(int32);
    case DataType.UINT16:
      return Uint16Array.from(int32);
    case DataType.INT32:
      return Int32Array.from(int32);
    case DataType.FLOAT16:
      return Float32Array.from(int32, halfToFloat);
    case DataType.BFLOAT16:
      return Float32Array.from(int32, bfloatToFloat);
    case DataType.INT64:
      return BigInt64Array.from((tensor.int64Data ?? []) as Int64Like[], (v) => BigInt(int64ToNumber(v)));
    case DataType.UINT32:
      return Uint32Array.from((tensor.uint64Data ?? []) as Int64Like[], int64ToNumber);
    case DataType.UINT64:
      return BigUint64Array.from((tensor.uint64Data ?? []) as Int64Like[], (v) => BigInt(int64ToNumber(v)));
    case DataType.INT4:
    case DataType.UINT4:
      return unpackNibbles(Uint8Array.from(int32), count, dataType === DataType.INT4);
    default:
      throw new Error(`Tensor "${tensor.name}" has unsupported data type ${dataTypeName(dataType)}.`);
  }
}

/** ONNX packs 4-bit values two per byte, the first element in the low nibble. */
function unpackNibbles(bytes: Uint8Array, count: number, signed: boolean): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (bytes[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}

export function packNibbles(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] |= (values[i] & 0xf) << ((i & 1) * 4);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bfloatToFloat(h: number): number {
  return new Float32Array(new Uint32Array([h << 16]).buffer)[0];
}

/** Builds a TensorProto (raw_data layout) from values; 4-bit types are packed. */
export function makeTensor(name: string, dataType: number, dims: readonly number[], values: ArrayLike<number> | BigInt64Array): TensorProto {
  let raw: Uint8Array;
  if (dataType === DataType.INT4 || dataType === DataType.UINT4) {
    raw = packNibbles(values as ArrayLike<number>);
  } else {
    const typed = toTyped(dataType, values);
    raw = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  if (numel(dims) !== values.length) {
    throw new Error(`Tensor "${name}": ${values.length} values do not fill shape [${dims}].`);
  }
  return onnx.TensorProto.create({ name, dataType, dims: [...dims], rawData: raw });
}

function toTyped(dataType: number, values: ArrayLike<number> | BigInt64Array): NumericArray {
  switch (dataType) {
    case DataType.FLOAT:
      return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    case DataType.DOUBLE:
      return Float64Array.from(values as ArrayLike<number>);
    case DataType.INT8:
      return Int8Array.from(values as ArrayLike<number>);
    case DataType.UINT8:
    case DataType.BOOL:
      return Uint8Array.from(values as ArrayLike<number>);
    case DataType.INT32:
      return Int32Array.from(values as ArrayLike<number>);
    case DataType.INT64:
      return values instanceof BigInt64Array ? values : BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(v));
    default:
      throw new Error(`Cannot build a tensor of type ${dataTypeName(dataType)}.`);
  }
}
