/**
 * What the coordinator (npm run analyze -- --queue) and the workers (npm run analysis-worker) agree on: the
 * queue's name, a job's data and result, its id, and how a Redis URL becomes a connection. A job is a chunk
 * of consecutive units of one run: every probe of those units on every image, stored under the run key and
 * the journal's probe keys (core/analysis/analysisKeys.ts). Models and images travel by path, so every
 * machine must see the same files at the same paths; the worker checks the model's hash against the job's.
 */
import { Redis } from 'ioredis';
import type { AnalysisSettings } from '../../src/core/analysis/settings';
import type { Device } from '../ortDevice';

export const ANALYSIS_QUEUE = 'mix-qsam-analysis';

/**
 * The queue of a run on `device`: CPU runs use ANALYSIS_QUEUE, CUDA runs their own, so that a run's probes all
 * come from one kind of device (their last bits differ between devices) and a CPU worker never takes a GPU run.
 */
export function analysisQueueName(device: Device): string {
  return device === 'cpu' ? ANALYSIS_QUEUE : `${ANALYSIS_QUEUE}-${device}`;
}

/** Model files by absolute path (tools/analyzeInputs.ts loadModelFiles). */
export interface ModelSource {
  dir?: string;
  encoder?: string;
  decoder?: string;
}

/** The studio's sample scenes (generated, the same everywhere) or image files by absolute path. */
export type ImageSource = { samples: number } | { files: string[] };

export interface AnalysisJobData {
  runKey: string;
  /** core/analysis/analysisKeys.ts modelHash of the coordinator's files. */
  modelHash: string;
  model: ModelSource;
  images: ImageSource;
  settings: AnalysisSettings;
  unitIds: string[];
  /**
   * onnxruntime's intra-op threads for every job of the run, when the coordinator fixes them (its --threads):
   * the thread count changes the last bits of some kernels' sums, so bit-identical results need one count.
   * Null: each worker uses its own --threads.
   */
  threads: number | null;
}

export interface AnalysisJobResult {
  probesRun: number;
  probesReused: number;
  elapsedMs: number;
  worker: string;
  device: Device;
}

/** Progress a worker reports on its job (job.updateProgress). */
export interface AnalysisJobProgress {
  done: number;
  total: number;
}

/** Units [start, end) of the run's units in scope. BullMQ ids may not hold ':', which run keys do. */
export function analysisJobId(runKey: string, start: number, end: number): string {
  return `${runKey.replace(/:/g, '-')}/units-${start}-${end}`;
}

/** Consecutive chunks of at most `size` items, with the index each starts at. */
export function chunks<T>(items: readonly T[], size: number): { start: number; items: T[] }[] {
  const out: { start: number; items: T[] }[] = [];
  for (let start = 0; start < items.length; start += size) out.push({ start, items: items.slice(start, start + size) });
  return out;
}

/**
 * A connection to the queue's Redis, once it answers: a wrong URL or a server that is down fails in
 * `timeoutMs` with the URL named, instead of retrying silently. Later drops are retried (BullMQ needs
 * maxRetriesPerRequest null on its connections).
 */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new Error(`--queue must be a Redis URL such as redis://127.0.0.1:6379, got "${url}"`);
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, retryStrategy: (times) => Math.min(200 * times, 2000) });
  // ioredis reports why a connection failed only as an 'error' event; without a listener it prints it instead.
  let lastError: Error | null = null;
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const reason = ((lastError as Error | null) ?? (error as Error)).message.replace(/\.$/, '');
    throw new Error(`Cannot reach the queue's Redis at ${url}: ${reason}. Start redis-server there, or give the right --queue URL.`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  return redis;
}
