/**
 * What onnxruntime-node really runs: the graph after its optimizations (fusions, constant folding,
 * layout transforms), written by the session to `optimizedModelFilePath` and counted by op type.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrtModule, SessionOptions } from '../src/core/onnx/ort';
import { countOpTypes } from '../src/core/onnx/opCounts';
import { decodeModel } from '../src/core/onnx/proto';

/** Op counts of `bytes` as optimized by a session with `options` (onnxruntime's defaults unless told). */
export async function optimizedOpCounts(ort: OrtModule, bytes: Uint8Array, options: SessionOptions = {}): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'optimized-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, ...options, optimizedModelFilePath: path });
    await session.release();
    return countOpTypes(decodeModel(await readFile(path)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
