/**
 * Where onnxruntime-node runs an analysis: the CPU (default) or NVIDIA's CUDA execution provider. A device is
 * checked before any work starts — a session on a one-node graph must open and run on it — so a worker or an
 * analysis that cannot use the GPU says so at once and what to do, instead of failing every job.
 *
 * Results from two devices differ in the last bits of their sums (as two thread counts do), so a distributed
 * run keeps one device: its jobs go to that device's queue (tools/queue/analysisJobs.ts analysisQueueName).
 */
import { GraphBuilder } from '../src/core/onnx/builder';
import type { OrtModule, SessionOptions } from '../src/core/onnx/ort';
import { encodeModelBytes } from '../src/core/onnx/proto';

export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

/** The --device value (absent: the CPU). */
export function parseDevice(value: string | undefined): Device {
  if (value === undefined) return 'cpu';
  if (!(DEVICES as readonly string[]).includes(value)) throw new Error(`--device must be one of ${DEVICES.join(', ')}, got "${value}"`);
  return value as Device;
}

/** Session options for `device`, on top of `threads` when given (CPU nodes of a CUDA session use them too). */
export function deviceSessionOptions(device: Device, threads: number | null): SessionOptions | undefined {
  const options: SessionOptions = {
    ...(threads ? { intraOpNumThreads: threads } : {}),
    ...(device === 'cuda' ? { executionProviders: ['cuda'] } : {}),
  };
  return Object.keys(options).length > 0 ? options : undefined;
}

/** The execution providers this onnxruntime-node build knows, when it can say (1.17 and later). */
function knownProviders(ort: OrtModule): string[] | null {
  const list = (ort as { listSupportedBackends?: () => { name: string }[] }).listSupportedBackends;
  return typeof list === 'function' ? list().map((backend) => backend.name) : null;
}

/** y = x + 1 over 4 floats: enough to open a session on a provider and run one kernel on it. */
function oneNodeModel(): Uint8Array {
  const g = new GraphBuilder();
  g.op('Add', [g.input('x', [4]), g.init('one', [1], [1])], { output: 'y' });
  g.output('y');
  return encodeModelBytes(g.toModel());
}

const CUDA_HELP =
  'onnxruntime-node loads the CUDA provider from libraries its install script downloads: run ' +
  '`npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12` on a machine with CUDA 12 and cuDNN 9 ' +
  '(and network access), or start without --device cuda to use the CPU.';

/** Throws a sentence a person can act on when `device` cannot run here. */
export async function checkDevice(ort: OrtModule, device: Device): Promise<void> {
  if (device === 'cpu') return;
  const known = knownProviders(ort);
  if (known && !known.includes(device)) throw new Error(`This onnxruntime-node build has no ${device.toUpperCase()} execution provider (it has ${known.join(', ')}). ${CUDA_HELP}`);
  let session;
  try {
    // Severity 4: onnxruntime's own log line of a missing library would repeat the message below.
    session = await ort.InferenceSession.create(oneNodeModel(), { ...deviceSessionOptions(device, null), logSeverityLevel: 4 });
    const x = new ort.Tensor('float32', new Float32Array([0, 1, 2, 3]), [4]);
    const y = (await session.run({ x })).y.data as Float32Array;
    if (y[3] !== 4) throw new Error(`a test graph gave ${y[3]} where 4 was expected`);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0].replace(/\.$/, '');
    throw new Error(`Cannot run onnxruntime on ${device.toUpperCase()} here: ${reason}. ${CUDA_HELP}`, { cause: error });
  } finally {
    await session?.release();
  }
}
