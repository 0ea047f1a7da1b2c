import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './onnx/builder.ts';
import { decodeModel, encodeModelBytes } from './onnx/proto.ts';
import { DataType } from './onnx/tensor.ts';
import { CancelledError } from './progress.ts';
import { explainedError, explainError, userMessage, withExplainedErrors } from './userErrors.ts';

/** What onnxruntime-node or the project's own code threw, as a message. */
async function thrown(work: () => unknown): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

function reluModel(dims: number[], elemType: number = DataType.FLOAT, op = 'Relu'): Uint8Array {
  const g = new GraphBuilder();
  g.op(op, [g.input('x', dims, elemType)], { output: 'y', name: `/blocks.0/${op}` });
  g.output('y', elemType);
  return encodeModelBytes(g.toModel());
}

// Real texts from onnxruntime-web 1.30 (WASM, run under Node) and browsers, for what Node cannot provoke cheaply.
const WEB = {
  badAlloc: 'failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc',
  aborted: 'RuntimeError: Aborted(). Build with -sASSERTIONS for more info.',
  tooLarge:
    'failed to call OrtRun(). ERROR_CODE: 2, ERROR_MESSAGE: /onnxruntime/core/framework/op_kernel.cc:83 virtual OrtValue *onnxruntime::OpKernelContext::OutputMLValue(int, const TensorShape &) [ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Tensor shape is too large',
  webgpu: '[E:onnxruntime:Default, webgpu_context.cc:120 operator()] WebGPU device error(2): Out of memory',
  dims: "failed to call OrtRun(). ERROR_CODE: 2, ERROR_MESSAGE: Got invalid dimensions for input: point_coords for the following indices\n index: 0 Got: 3 Expected: 1\n Please fix either the inputs/outputs or the model.",
  noKernel: "Can't create a session. ERROR_CODE: 9, ERROR_MESSAGE: Could not find an implementation for Erf(13) node with name '/blocks.0/Erf'",
  notOnnx: "Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed.",
};

describe('explainError: out of memory', () => {
  it('recognises every allocation failure and says what to do on WASM', () => {
    const failures: unknown[] = [
      new Error(WEB.badAlloc),
      new Error(WEB.aborted),
      new Error(WEB.tooLarge),
      new RangeError('Array buffer allocation failed'),
      new WebAssembly.RuntimeError('memory access out of bounds'),
      1991937888, // onnxruntime-web without exception catching throws the C++ exception's address
    ];
    for (const failure of failures) {
      const explained = explainError(failure, { backend: 'wasm' });
      expect(explained.kind, String(failure)).toBe('out-of-memory');
      expect(explained.title).toMatch(/more memory than the browser allows for WASM/);
      expect(explained.advice.join(' | ')).toMatch(/WebGPU.*decoder only.*fewer images.*npm run analyze/);
    }
    expect(explainError(new RangeError('Array buffer allocation failed')).detail).toBe('RangeError: Array buffer allocation failed');
  });

  it('gives backend-specific advice on WebGPU and in Node (a real onnxruntime-node allocation failure)', async () => {
    expect(explainError(new Error(WEB.webgpu), { backend: 'webgpu' })).toMatchObject({ kind: 'out-of-memory', title: expect.stringMatching(/GPU memory/) });
    expect(explainError(new Error(WEB.webgpu), { backend: 'webgpu' }).advice[0]).toMatch(/WASM/);

    const g = new GraphBuilder();
    g.op('ConstantOfShape', [g.input('shape', [2], DataType.INT64)], { output: 'y', name: 'big' });
    g.output('y');
    const session = await ort.InferenceSession.create(encodeModelBytes(g.toModel()), { logSeverityLevel: 4 });
    const huge = BigInt(1 << 20); // 2^40 floats: 4 TiB
    const error = await thrown(() => session.run({ shape: new ort.Tensor('int64', BigInt64Array.from([huge, huge]), [2]) }));
    await session.release();
    expect(error.message).toMatch(/Failed to allocate memory/);
    const explained = explainError(error, { backend: 'node' });
    expect(explained).toMatchObject({ kind: 'out-of-memory', detail: error.message });
    expect(explained.advice.join(' ')).not.toMatch(/WebGPU/);
  });
});

describe('explainError on real onnxruntime-node failures', () => {
  it('names the input and the size a fixed dimension expects', async () => {
    const session = await ort.InferenceSession.create(reluModel([1, 3]));
    const error = await thrown(() => session.run({ x: new ort.Tensor('float32', new Float32Array(9), [3, 3]) }));
    expect(error.message).toMatch(/Got invalid dimensions for input: x/);
    expect(explainError(error)).toMatchObject({ kind: 'fixed-dimensions', title: 'The model\'s input “x” has a fixed size: dimension 0 must be 1, got 3', detail: error.message });
    expect(explainError(new Error(WEB.dims)).title).toBe('The model\'s input “point_coords” has a fixed size: dimension 0 must be 1, got 3');

    const rank = await thrown(() => session.run({ x: new ort.Tensor('float32', new Float32Array(3), [3]) }));
    expect(explainError(rank)).toMatchObject({ kind: 'wrong-rank', title: 'The model\'s input “x” takes 2 dimensions, got 1' });

    const type = await thrown(() => session.run({ x: new ort.Tensor('int32', new Int32Array(3), [1, 3]) }));
    expect(type.message).toMatch(/Unexpected input data type/);
    expect(explainError(type)).toMatchObject({ kind: 'wrong-input-type', title: expect.stringMatching(/takes float, was given int32/) });

    const missing = await thrown(() => session.run({}));
    expect(explainError(missing)).toMatchObject({ kind: 'missing-input', title: expect.stringContaining('“x”') });
    await session.release();
  });

  it('names an operator the runtime cannot run and suggests the other backend or a re-export', async () => {
    const error = await thrown(() => ort.InferenceSession.create(reluModel([1, 3], DataType.DOUBLE, 'Erf')));
    expect(error.message).toMatch(/Could not find an implementation for Erf/);
    const explained = explainError(error, { backend: 'wasm' });
    expect(explained).toMatchObject({ kind: 'unsupported-operator', title: expect.stringMatching(/operator Erf \(node “\/blocks\.0\/Erf”\)/) });
    expect(explained.advice).toEqual(['try WebGPU', expect.stringMatching(/re-export the model with a standard opset/)]);
    expect(explainError(new Error(WEB.noKernel), { backend: 'webgpu' }).advice[0]).toBe('try WASM');

    const unknownOp = await thrown(() => ort.InferenceSession.create(reluModel([1, 3], DataType.FLOAT, 'NoSuchOp')));
    expect(explainError(unknownOp)).toMatchObject({ kind: 'unsupported-operator', title: expect.stringContaining('operator NoSuchOp') });
    expect(explainError(new Error('Error: no kernel found for op GridSample on WebGPU')).kind).toBe('unsupported-operator');
  });

  it('says a file that is not ONNX is not ONNX, from onnxruntime and from the project decoder', async () => {
    const json = new TextEncoder().encode('{"encoder": "encoder.onnx"}');
    const fromOrt = await thrown(() => ort.InferenceSession.create(json));
    const fromDecoder = await thrown(() => decodeModel(json));
    const truncated = await thrown(() => decodeModel(reluModel([1, 3]).slice(0, 30)));
    for (const error of [fromOrt, fromDecoder, truncated, new Error(WEB.notOnnx)]) {
      expect(explainError(error), error.message).toMatchObject({ kind: 'not-onnx', title: 'The file is not a readable ONNX model', detail: error.message });
    }
  });
});

describe('userMessage and explainedError', () => {
  it('puts stage, explanation, advice and the original text in one message', () => {
    expect(userMessage(new Error(WEB.badAlloc), { backend: 'wasm', stage: 'analysing' })).toBe(
      'While analysing: out of memory — this model needs more memory than the browser allows for WASM (4 GB). ' +
        'Try: switch the backend to WebGPU; analyse the decoder only (the encoder stays at full precision); use fewer images or fewer prompts per image; ' +
        'run the analysis in Node with `npm run analyze`, which has no 4 GB limit. (Original error: failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc)',
    );
  });

  it('passes errors it does not recognise through unchanged, names included', () => {
    const own = new Error('Load a SAM encoder and decoder first.');
    expect(userMessage(own, { stage: 'analysing' })).toBe(own.message);
    expect(explainError(own)).toMatchObject({ kind: 'unknown', advice: [] });
    const cancelled = new CancelledError('Analysis cancelled; what was measured is kept.');
    expect(explainedError(cancelled)).toBe(cancelled);
    const explained = explainedError(new Error(WEB.aborted), { backend: 'wasm', stage: 'decoding' }) as Error;
    expect(explained.message).toMatch(/^While decoding: out of memory/);
    expect((explained.cause as Error).message).toBe(WEB.aborted);
  });
});

describe('withExplainedErrors', () => {
  it('explains sync and async failures of every method and leaves results and other errors alone', async () => {
    const result = { value: 1 };
    const api = {
      count: 2,
      ok: async (x: number) => ({ ...result, value: x }),
      same: () => result,
      run: async (): Promise<number> => Promise.reject(new Error(WEB.badAlloc)),
      load: (): number => {
        throw new Error(WEB.notOnnx);
      },
      cancel: async () => Promise.reject(new CancelledError('Export cancelled.')),
    };
    const stages: Record<string, string> = { run: 'analysing', load: 'reading the model' };
    const wrapped = withExplainedErrors(api, (method) => ({ backend: 'wasm', stage: stages[method] }));
    expect(wrapped.count).toBe(2);
    await expect(wrapped.ok(5)).resolves.toEqual({ value: 5 });
    expect(wrapped.same()).toBe(result);
    await expect(wrapped.run()).rejects.toThrow(/^While analysing: out of memory/);
    expect(() => wrapped.load()).toThrow(/^While reading the model: the file is not a readable ONNX model/);
    await expect(wrapped.cancel()).rejects.toMatchObject({ name: 'CancelledError', message: 'Export cancelled.' });
  });
});
