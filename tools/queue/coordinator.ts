/**
 * The coordinator's side of a distributed analysis (npm run analyze -- --queue URL): calibrates once and stores
 * the facts where every worker finds them, enqueues one BullMQ job per chunk of units that still has a probe
 * missing from the run's Redis store, reports progress from the workers' job progress, and returns when all
 * jobs are done, or throws with the job's own message when one fails after its retries. The caller's
 * single-process runAnalysis on the same store then finds every probe stored and writes the results.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { analysisSessionOptions, type AnalysisProgress } from '../../src/core/analysis/analysisEngine';
import { calibrationEntryKey } from '../../src/core/analysis/analysisKeys';
import { calibratePlan, probeEntryKeysOf, type AnalysisPlan } from '../../src/core/analysis/analysisPlan';
import type { StoredValue } from '../../src/core/analysis/analysisStore';
import type { OrtModule, SessionOptions } from '../../src/core/onnx/ort';
import { estimateEtaMs } from '../../src/core/progress';
import type { Device } from '../ortDevice';
import { analysisJobId, analysisQueueName, chunks, type AnalysisJobData, type AnalysisJobProgress, type AnalysisJobResult, type ImageSource, type ModelSource } from './analysisJobs';
import { RedisAnalysisStore } from './redisAnalysisStore';

export interface DistributeOptions {
  redis: Redis;
  plan: AnalysisPlan;
  model: ModelSource;
  images: ImageSource;
  ort: OrtModule;
  /** Of the coordinator's calibration; its intraOpNumThreads also fixes every job's. */
  sessionOptions?: SessionOptions;
  /** Where the calibration ran and the jobs must run: they go to that device's queue. */
  device: Device;
  unitsPerJob: number;
  /** Tries per job before the analysis fails (exponential backoff from 1 s between them). */
  attempts: number;
  onProgress?: (progress: AnalysisProgress) => void;
  /** Plain status lines (calibration, jobs enqueued, no worker yet). */
  log: (line: string) => void;
  workerCheckMs?: number;
}

export interface DistributeStats {
  jobs: number;
  probesQueued: number;
  calibrated: boolean;
  elapsedMs: number;
}

type AnalysisJob = Job<AnalysisJobData, AnalysisJobResult>;

export async function distributeAnalysis(options: DistributeOptions): Promise<DistributeStats> {
  const started = Date.now();
  const { plan, redis, log } = options;
  const store = new RedisAnalysisStore(redis);
  const stored = await store.load(plan.runKey);
  let calibrated = false;
  if (!stored.has(calibrationEntryKey)) {
    log(`calibrating on ${plan.items.length} image(s), once for every worker`);
    const facts = await calibratePlan(plan, { ort: options.ort, sessionOptions: analysisSessionOptions(options.sessionOptions) });
    await store.save(plan.runKey, calibrationEntryKey, facts as unknown as StoredValue);
    calibrated = true;
  }
  const perUnit = plan.probes.length * plan.used.length;
  const total = plan.inScope.length * perUnit;
  const missingOf = (unitIds: readonly string[]) => probeEntryKeysOf(plan, unitIds).filter((key) => !stored.has(key)).length;
  const pending = chunks(plan.inScope, options.unitsPerJob)
    .map(({ start, items }) => ({ start, unitIds: items.map((unit) => unit.id) }))
    .filter((chunk) => missingOf(chunk.unitIds) > 0);
  const probesQueued = pending.reduce((sum, chunk) => sum + missingOf(chunk.unitIds), 0);
  const stats = (jobs: number): DistributeStats => ({ jobs, probesQueued, calibrated, elapsedMs: Date.now() - started });
  if (pending.length === 0) return stats(0);

  const queueName = analysisQueueName(options.device);
  const queue = new Queue<AnalysisJobData, AnalysisJobResult>(queueName, { connection: redis });
  // QueueEvents reads a stream with blocking calls: it needs a connection of its own.
  const eventsConnection = redis.duplicate();
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  try {
    await events.waitUntilReady();
    // Probes each job still has to measure, and how many of them its worker reported done.
    const doneByJob = new Map<string, number>();
    const queuedByJob = new Map<string, number>();
    const jobs: AnalysisJob[] = [];
    for (const chunk of pending) {
      const id = analysisJobId(plan.runKey, chunk.start, chunk.start + chunk.unitIds.length);
      // A job kept from an earlier run under this id would make add() a no-op: the store says what is missing now.
      const earlier = await queue.getJob(id);
      if (earlier && ['completed', 'failed'].includes(await earlier.getState())) await earlier.remove();
      const data: AnalysisJobData = { runKey: plan.runKey, modelHash: plan.modelKey, model: options.model, images: options.images, settings: plan.settings, unitIds: chunk.unitIds, threads: options.sessionOptions?.intraOpNumThreads ?? null };
      jobs.push(
        await queue.add('probe-units', data, {
          jobId: id,
          attempts: options.attempts,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        }),
      );
      doneByJob.set(id, 0);
      queuedByJob.set(id, missingOf(chunk.unitIds));
    }
    log(`${pending.length} jobs of up to ${options.unitsPerJob} units enqueued on ${queueName}: ${probesQueued} probes to measure, ${total - probesQueued} stored`);

    const alreadyDone = total - probesQueued;
    const progressStarted = Date.now();
    let finished = 0;
    const report = () => {
      const measured = [...doneByJob.values()].reduce((sum, n) => sum + n, 0);
      options.onProgress?.({
        phase: 'probing',
        done: alreadyDone + measured,
        total,
        label: `${finished}/${jobs.length} jobs done`,
        imageIndex: null,
        unitId: null,
        etaMs: estimateEtaMs(Date.now() - progressStarted, measured, probesQueued),
      });
    };
    // A worker's progress counts the job's probes found stored too: only the ones it measures count here.
    events.on('progress', ({ jobId, data }) => {
      const queued = queuedByJob.get(jobId);
      const progress = data as Partial<AnalysisJobProgress>;
      if (queued === undefined || typeof progress.done !== 'number' || typeof progress.total !== 'number') return;
      doneByJob.set(jobId, Math.max(doneByJob.get(jobId) ?? 0, Math.min(queued, progress.done - (progress.total - queued))));
      report();
    });
    const workerCheck = setInterval(() => {
      queue
        .getWorkersCount()
        .then((count) => {
          if (count === 0) log(`no worker is connected to ${queueName} yet: start npm run analysis-worker -- --queue URL${options.device === 'cpu' ? '' : ` --device ${options.device}`}`);
        })
        .catch(() => {});
    }, options.workerCheckMs ?? 10_000);
    try {
      await Promise.all(
        jobs.map(async (job) => {
          try {
            await job.waitUntilFinished(events);
          } catch (error) {
            const failed = await queue.getJob(job.id!);
            const range = `${job.data.unitIds.length} units from "${job.data.unitIds[0]}"`;
            throw new Error(`Job ${job.id} (${range}) failed after ${failed?.attemptsMade ?? options.attempts} attempt(s): ${(error as Error).message}`, { cause: error });
          }
          finished++;
          doneByJob.set(job.id!, queuedByJob.get(job.id!)!);
          report();
        }),
      );
    } catch (error) {
      // The run failed: the jobs nobody has started yet are withdrawn (what was measured stays stored).
      for (const job of jobs) {
        const state = await job.getState().catch(() => 'unknown');
        if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await job.remove().catch(() => {});
      }
      throw error;
    } finally {
      clearInterval(workerCheck);
    }
    return stats(jobs.length);
  } finally {
    await events.close();
    await queue.close();
    eventsConnection.disconnect();
  }
}
