/**
 * A worker of a distributed Mix-QSAM analysis: takes jobs (chunks of units, tools/queue/analysisJobs.ts) from
 * the BullMQ queue on the given Redis, measures every probe of the job's units with the studio's engine
 * (runAnalysis with a unit filter, onnxruntime-node on the CPU, or with --device cuda on CUDA) and saves each probe into the run's Redis store
 * as it is measured, so a job cut short by a crash resumes where it stopped on another worker.
 *
 *   npm run analysis-worker -- --queue redis://HOST:PORT [--device cpu|cuda] [--threads N] [--concurrency 1] [--lock-seconds 60] [--name NAME]
 *
 * Models and images are read from the paths in the job: every machine must see the same files at the same
 * paths (a shared filesystem or identical copies); a model whose bytes differ fails the job with the reason.
 * onnxruntime-node blocks the event loop during a forward, so the job's lock is renewed between forwards:
 * --threads sets onnxruntime's intra-op threads unless the coordinator fixed them for the run (its --threads,
 * which bit-identical results need: the count changes the last bits of some sums).
 * --device cuda takes jobs from the CUDA runs' queue (an `npm run analyze -- --queue URL --device cuda`) and
 * checks at start that onnxruntime can run on the GPU here (tools/ortDevice.ts).
 * --lock-seconds must exceed the longest forward (and session build) of the model. SIGTERM or SIGINT stops at
 * the next forward, puts the job in progress back in the queue (no attempt spent) and exits 0.
 */
import { hostname } from 'node:os';
import { Worker, WaitingError, type Job } from 'bullmq';
import * as ort from 'onnxruntime-node';
import { runAnalysis } from '../src/core/analysis/analysisEngine';
import type { OrtModule } from '../src/core/onnx/ort';
import { CancelledError } from '../src/core/progress';
import { checkDevice, deviceSessionOptions, parseDevice } from './ortDevice';
import { logLine, numberFlag, parseArgs, required, runCommand, single } from './cliCommon';
import { analysisQueueName, connectRedis, type AnalysisJobData, type AnalysisJobProgress, type AnalysisJobResult } from './queue/analysisJobs';
import { RedisAnalysisStore } from './queue/redisAnalysisStore';
import { WorkerInputs } from './queue/workerInputs';

const usage = 'usage: npm run analysis-worker -- --queue redis://HOST:PORT [--device cpu|cuda] [--threads N] [--concurrency 1] [--lock-seconds 60] [--name NAME]';
const PROGRESS_INTERVAL_MS = 500;

runCommand(async () => {
  const args = parseArgs(process.argv.slice(2), usage, ['help']);
  if (args.flags.has('help')) {
    console.log(usage);
    return;
  }
  const url = required(args, 'queue', usage);
  const threads = numberFlag(args, 'threads', null, { integer: true, min: 1 });
  const concurrency = numberFlag(args, 'concurrency', 1, { integer: true, min: 1 })!;
  const lockMs = 1000 * numberFlag(args, 'lock-seconds', 60, { min: 1 })!;
  const name = single(args, 'name') ?? `${hostname()}:${process.pid}`;
  const log = logLine('analysis-worker', false);
  const device = parseDevice(single(args, 'device'));
  const queueName = analysisQueueName(device);
  // Before taking any job: a worker that cannot use its device would fail every job it takes.
  await checkDevice(ort as unknown as OrtModule, device);

  const redis = await connectRedis(url);
  redis.on('error', (error: Error) => log(`Redis: ${error.message}`));
  const store = new RedisAnalysisStore(redis);
  const inputs = new WorkerInputs(name);
  let stopping = false;

  const process_ = async (job: Job<AnalysisJobData, AnalysisJobResult>, token?: string): Promise<AnalysisJobResult> => {
    const started = Date.now();
    log(`${name} · job ${job.id} · ${job.data.unitIds.length} units · attempt ${job.attemptsMade + 1}`);
    const { files, images } = await inputs.of(job.data);
    const wanted = new Set(job.data.unitIds);
    const jobThreads = job.data.threads ?? threads;
    let lastReport = 0;
    try {
      const { results, stats } = await runAnalysis(files, images, job.data.settings, {
        ort: ort as unknown as OrtModule,
        store,
        sessionOptions: deviceSessionOptions(device, jobThreads),
        unitFilter: (unit) => wanted.has(unit.id),
        isCancelled: () => stopping,
        // Lets BullMQ renew the job's lock (a timer) between forwards, which block the event loop.
        yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
        onProgress: (progress) => {
          if (progress.phase !== 'probing' || Date.now() - lastReport < PROGRESS_INTERVAL_MS) return;
          lastReport = Date.now();
          const report: AnalysisJobProgress = { done: progress.done, total: progress.total };
          job.updateProgress({ ...report }).catch((error: Error) => log(`progress of job ${job.id} not reported: ${error.message}`));
        },
      });
      const missing = job.data.unitIds.filter((id) => !results.units.some((unit) => unit.id === id));
      if (missing.length > 0) throw new Error(`The model has no unit ${missing.map((id) => `"${id}"`).join(', ')} in this analysis' scope.`);
      await job.updateProgress({ done: results.probesTotal, total: results.probesTotal });
      const result = { probesRun: stats.probesRun, probesReused: stats.probesReused, elapsedMs: Date.now() - started, worker: name, device };
      log(`${name} · job ${job.id} done · ${stats.probesRun} probes measured, ${stats.probesReused} found stored · ${(result.elapsedMs / 1000).toFixed(1)} s`);
      return result;
    } catch (error) {
      if (error instanceof CancelledError && stopping && token) {
        await job.moveToWait(token);
        log(`${name} · job ${job.id} back in the queue (stopping)`);
        throw new WaitingError();
      }
      throw error;
    }
  };

  const worker = new Worker<AnalysisJobData, AnalysisJobResult>(queueName, process_, {
    connection: redis,
    concurrency,
    lockDuration: lockMs,
    // A dead worker's job is found stalled within about one lock duration and handed to another worker.
    stalledInterval: lockMs,
    maxStalledCount: 2,
  });
  worker.on('failed', (job, error) => {
    if (error instanceof WaitingError || error.name === 'WaitingError') return;
    log(`${name} · job ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'} of ${job?.opts.attempts ?? 1}): ${error.message}`);
  });
  worker.on('error', (error) => log(`worker error: ${error.message}`));

  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${name} · ${signal}: stopping after the current forward; a job in progress goes back to the queue`);
    worker
      .close()
      .then(() => redis.quit())
      .then(() => process.exit(0))
      .catch((error: Error) => {
        console.error(`could not close cleanly: ${error.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await worker.waitUntilReady();
  log(`${name} · waiting for jobs on ${url} (queue ${queueName}, onnxruntime on ${device.toUpperCase()}, ${threads ?? 'default'} ORT threads, concurrency ${concurrency})`);
  // Runs until a signal: runCommand must not see main return and the process must stay alive.
  await new Promise<never>(() => {});
});
