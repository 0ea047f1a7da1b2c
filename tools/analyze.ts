/**
 * Mix-QSAM analysis from the command line, with onnxruntime-node and the same core code as the studio:
 * prints the units ranked by importance Ω with σ at each width and Ŝ, and writes the results as JSON.
 *
 *   npm run analyze -- --images 8 [--prompts 16] [--mode exact|fast] [--bits 2,3,4,5,6] [--fast-bits 3,5] [--scope all|decoder]
 *                      [--model DIR | --encoder E.onnx --decoder D.onnx] [--image-files a.jpg,b.png]
 *                      [--out artifacts/analysis/results.json] [--cache artifacts/analysis/cache.jsonl] [--top 10]
 *
 * With --cache, measured probes are journalled to the file and a rerun (or an interrupted run) measures
 * only what is missing. With --queue redis://HOST:PORT the probes are measured by `npm run analysis-worker`s
 * on that queue instead (tools/queue/coordinator.ts: calibration here, once; what is missing enqueued in
 * chunks of --units-per-job units, each job tried --attempts times) and kept in Redis, so a rerun also
 * measures only what is missing; the results file is the one a single process writes. --device cuda runs
 * onnxruntime-node on the GPU (checked first), and a queued run's jobs go to the CUDA workers' queue. Without --images,
 * T = 8; without --image-files, the studio's sample scenes are used with their ground-truth boxes as prompts (images without boxes get a k×k point grid). The results file
 * (core/analysis/resultsFile.ts) also holds the calibration and model config: `npm run solve`, `npm run eval`
 * and the studio's import read it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { runAnalysis, type AnalysisProgress } from '../src/core/analysis/analysisEngine';
import { rankByImportance, type AnalysisResults, type UnitAnalysis } from '../src/core/analysis/analysisResults';
import { MemoryAnalysisStore, type AnalysisStore } from '../src/core/analysis/analysisStore';
import type { CalibrationFacts } from '../src/core/analysis/analysisModel';
import { calibrationEntryKey } from '../src/core/analysis/analysisKeys';
import { resultsFileOf, resultsFileText } from '../src/core/analysis/resultsFile';
import { defaultAnalysisSettings, defaultFastBits, validateSettings, type AnalysisSettings } from '../src/core/analysis/settings';
import type { OrtModule } from '../src/core/onnx/ort';
import { durationInWords } from '../src/core/progress';
import { explainError } from '../src/core/userErrors';
import { planAnalysis } from '../src/core/analysis/analysisPlan';
import { demoModelDir, imageFromFile, journalStore, loadModelFiles, sampleScenes } from './analyzeInputs';
import { connectRedis } from './queue/analysisJobs';
import { distributeAnalysis } from './queue/coordinator';
import { RedisAnalysisStore } from './queue/redisAnalysisStore';
import { checkDevice, deviceSessionOptions, parseDevice } from './ortDevice';

const usage = `usage: npm run analyze -- [--images N] [--prompts N] [--grid K] [--mode exact|fast] [--bits 2,3,4,5,6]
       [--fast-bits 3,5] [--scope all|decoder] [--model DIR | --encoder E.onnx --decoder D.onnx] [--image-files a.jpg,b.png]
       [--out FILE.json] [--cache FILE.jsonl] [--top N] [--threads N] [--device cpu|cuda] [--quiet]
       [--queue redis://HOST:PORT [--units-per-job N] [--attempts N]]`;

/**
 * Units per queue job: each job builds its own sessions and FP references (≈ 0.7 s on the demo model against
 * ≈ 25 ms per probe: bench/results/scale.md; a job per unit ran 2.5× slower than 8 units per job), so a job of
 * 8 units spends most of its time measuring while leaving enough jobs for several workers.
 */
const DEFAULT_UNITS_PER_JOB = 8;
const atLeastOne = (value: number, name: string) => {
  if (value < 1) throw new Error(`--${name} must be at least 1, got ${value}`);
  return value;
};
const optionalPath = (path: string | undefined) => (path === undefined ? undefined : resolve(path));

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (!key.startsWith('--')) throw new Error(`unexpected argument "${key}"\n${usage}`);
    const flag = key.slice(2);
    if (flag === 'quiet' || flag === 'help') args.set(flag, 'true');
    else if (i + 1 >= argv.length) throw new Error(`--${flag} needs a value\n${usage}`);
    else args.set(flag, argv[++i]);
  }
  return args;
}

const integer = (text: string | undefined, name: string, fallback: number): number => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be a whole number, got "${text}"`);
  return value;
};
const widths = (text: string | undefined, name: string, fallback: number[]): number[] =>
  text === undefined ? fallback : text.split(',').map((part) => integer(part.trim(), name, NaN));

function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toExponential(3).padStart(10) : '         —';
}

function printRanking(results: AnalysisResults, top: number): void {
  const ranked = rankByImportance(results);
  const position = new Map(results.units.map((unit, i) => [unit.id, i]));
  const header = `${'rank'.padStart(4)}  ${'unit'.padEnd(58)} ${'Ω'.padStart(10)} ${results.candidateBits.map((b) => `σ(${b})`.padStart(10)).join(' ')} ${'Ŝ→next'.padStart(10)}`;
  const line = (unit: UnitAnalysis, rank: number) => {
    const i = position.get(unit.id)!;
    const label = `${unit.part} · ${unit.role}`.slice(0, 58).padEnd(58);
    const sigma = unit.sensitivity.map(formatNumber).join(' ');
    return `${String(rank).padStart(4)}  ${label} ${formatNumber(unit.importance)} ${sigma} ${formatNumber(results.synergy[i] ?? NaN)}`;
  };
  console.log(header);
  ranked.slice(0, top).forEach((unit, k) => console.log(line(unit, k + 1)));
  if (ranked.length > 2 * top) console.log(`${'…'.padStart(4)}`);
  const bottomStart = Math.max(top, ranked.length - top);
  ranked.slice(bottomStart).forEach((unit, k) => console.log(line(unit, bottomStart + k + 1)));
  const extrapolated = results.candidateBits.filter((b) => !results.measuredBits.includes(b));
  if (extrapolated.length > 0) console.log(`σ at ${extrapolated.join(', ')} bits extrapolated from ${results.measuredBits.join(' and ')} bits with σ(b) ∝ 4^(−b).`);
  console.log(`${results.units.length} units probed; ${results.excludedUnits.length} kept at full precision and not probed.`);
}

/** "probing 120/840 (14%) · Image 1/1 · encoder block 3 qkv · W3A3 · ETA 6 min 20 s". */
function progressText(progress: AnalysisProgress): string {
  const count = progress.total > 0 ? ` ${progress.done}/${progress.total} (${Math.floor((100 * progress.done) / progress.total)}%)` : '';
  const eta = progress.etaMs !== null && progress.phase !== 'done' ? ` · ETA ${durationInWords(progress.etaMs)}` : '';
  return `${progress.phase}${count} · ${progress.label}${eta}`;
}

/** One line redrawn in place, for a terminal. */
function ttyProgress(): (progress: AnalysisProgress) => void {
  let lastPrinted = 0;
  return (progress) => {
    const now = Date.now();
    if (now - lastPrinted < 200 && progress.phase === 'probing') return;
    lastPrinted = now;
    process.stderr.write(`\r\x1b[K${progressText(progress).slice(0, (process.stderr.columns || 120) - 1)}`);
  };
}

/**
 * Plain lines for logs and pipes (stderr not a terminal): one at every phase change and every 10 % step,
 * otherwise at most one every PLAIN_INTERVAL_MS.
 */
const PLAIN_INTERVAL_MS = 5000;
function plainProgress(writeLine: (line: string) => void): (progress: AnalysisProgress) => void {
  let phase: AnalysisProgress['phase'] | null = null;
  let tenth = -1;
  let lastPrinted = -Infinity;
  return (progress) => {
    const step = progress.total > 0 ? Math.floor((10 * progress.done) / progress.total) : -1;
    const time = Date.now();
    if (progress.phase === phase && step === tenth && time - lastPrinted < PLAIN_INTERVAL_MS) return;
    phase = progress.phase;
    tenth = step;
    lastPrinted = time;
    writeLine(`[analyze] ${progressText(progress)}`);
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.has('help')) {
    console.log(usage);
    return;
  }
  const mode = args.get('mode') ?? defaultAnalysisSettings.sensitivityMode;
  if (mode !== 'exact' && mode !== 'fast') throw new Error(`--mode must be exact or fast, got "${mode}"`);
  const scope = args.get('scope') ?? 'all';
  if (scope !== 'all' && scope !== 'decoder') throw new Error(`--scope must be all or decoder, got "${scope}"`);
  const candidateBits = widths(args.get('bits'), 'bits', defaultAnalysisSettings.candidateBits);
  const settings: AnalysisSettings = validateSettings({
    ...defaultAnalysisSettings,
    imageCount: integer(args.get('images'), 'images', defaultAnalysisSettings.imageCount),
    promptsPerImage: integer(args.get('prompts'), 'prompts', defaultAnalysisSettings.promptsPerImage),
    gridSize: integer(args.get('grid'), 'grid', defaultAnalysisSettings.gridSize),
    sensitivityMode: mode,
    candidateBits,
    fastProbeBits: widths(args.get('fast-bits'), 'fast-bits', defaultFastBits(candidateBits)),
    // Absent for a full analysis, so its settings (and run key) stay those of earlier runs.
    ...(scope === 'decoder' ? { scope } : {}),
    // npm run eval scores the model as the analysis measured it, biases uncorrected: the results say so.
    biasCorrection: false,
  });
  const device = parseDevice(args.get('device'));
  await checkDevice(ort as unknown as OrtModule, device);
  const files = await loadModelFiles({ dir: args.get('model'), encoder: args.get('encoder'), decoder: args.get('decoder') });
  const imageFiles = args.get('image-files')?.split(',').filter(Boolean);
  const images = imageFiles ? await Promise.all(imageFiles.map(imageFromFile)) : sampleScenes(settings.imageCount);
  const cachePath = args.get('cache');
  const queueUrl = args.get('queue');
  if (cachePath && queueUrl) throw new Error('Give --cache or --queue, not both: with --queue, measured probes are kept in Redis.');
  const redis = queueUrl ? await connectRedis(queueUrl) : null;
  const store: AnalysisStore = redis ? new RedisAnalysisStore(redis) : cachePath ? await journalStore(cachePath) : new MemoryAnalysisStore();
  const threads = args.get('threads');
  const sessionOptions = deviceSessionOptions(device, threads ? integer(threads, 'threads', 0) : null);
  const quiet = args.has('quiet');

  const tty = process.stderr.isTTY === true;
  const onProgress = quiet ? undefined : tty ? ttyProgress() : plainProgress((line) => process.stderr.write(`${line}\n`));
  if (redis) {
    // Paths as the workers will read them: absolute, the same on every machine.
    const model = { dir: resolve(args.get('model') ?? fileURLToPath(demoModelDir)), encoder: optionalPath(args.get('encoder')), decoder: optionalPath(args.get('decoder')) };
    const distributed = await distributeAnalysis({
      redis,
      plan: await planAnalysis(files, images, settings),
      model,
      images: imageFiles ? { files: imageFiles.map((file) => resolve(file)) } : { samples: settings.imageCount },
      ort: ort as unknown as OrtModule,
      sessionOptions,
      device,
      unitsPerJob: atLeastOne(integer(args.get('units-per-job'), 'units-per-job', DEFAULT_UNITS_PER_JOB), 'units-per-job'),
      attempts: atLeastOne(integer(args.get('attempts'), 'attempts', 3), 'attempts'),
      onProgress,
      log: (line) => quiet || process.stderr.write(`${tty ? '\r\x1b[K' : ''}[analyze] ${line}\n`),
    });
    if (!quiet && tty) process.stderr.write('\r\x1b[K');
    console.log(`Queue: ${distributed.jobs} jobs, ${distributed.probesQueued} probes measured by the workers${distributed.calibrated ? ', calibrated here' : ''}; ${(distributed.elapsedMs / 1000).toFixed(1)} s.`);
  }
  const { results, stats } = await runAnalysis(files, images, settings, {
    ort: ort as unknown as OrtModule,
    store,
    sessionOptions,
    onProgress: redis ? undefined : onProgress,
  });
  if (!quiet && tty) process.stderr.write('\r\x1b[K');

  printRanking(results, integer(args.get('top'), 'top', 10));
  const seconds = (stats.elapsedMs / 1000).toFixed(1);
  console.log(
    `${images.slice(0, settings.imageCount).length} images; ${stats.probesRun} probes measured (${stats.probesReused} reused from the cache), ` +
      `${stats.encoderSuffixRuns} encoder probes started from one of ${stats.encoderSegments} cuts; ${seconds} s.`,
  );
  const out = args.get('out') ?? 'artifacts/analysis/results.json';
  await mkdir(dirname(out), { recursive: true });
  const calibration = ((await store.load(results.runKey)).get(calibrationEntryKey) ?? null) as CalibrationFacts | null;
  await writeFile(out, resultsFileText(resultsFileOf(results, stats, calibration, files.config)));
  console.log(`Results written to ${out}`);
  await redis?.quit();
}

main().catch((error: unknown) => {
  const explained = explainError(error, { backend: 'node' });
  if (explained.kind === 'unknown') console.error(explained.detail);
  else console.error([`${explained.title}.`, 'What to do:', ...explained.advice.map((step) => `  - ${step}`), `Original error: ${explained.detail.trim()}`].join('\n'));
  process.exit(1);
});
