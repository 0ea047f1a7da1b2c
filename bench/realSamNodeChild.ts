/**
 * The Node side of the real-SAM bench, run by bench/real-sam.ts in a child process of its own so that
 * peak memory belongs to one job: either the plain FP forward of the model (the baseline), or the whole
 * pipeline through the studio's core code — load, unit discovery, runAnalysis (calibration, probes),
 * the instant allocation at the studio's default 4-bit budget, export and the export check. Each stage
 * resets the process's peak RSS when it begins and reads it when it ends (realSamMemory.ts), and its
 * record goes to the parent at once, so a crash still leaves every finished stage on the table.
 *
 *   (internal) node --expose-gc <tsx loader> bench/realSamNodeChild.ts '<NodeJob as JSON>'
 */
import * as ortNode from 'onnxruntime-node';
import { solveInstant } from '../src/core/allocate';
import { runAnalysis, type AnalysisImage } from '../src/core/analysis/analysisEngine';
import { prepareSam, signatureOfGraph, type CalibrationFacts, type SamModelFiles } from '../src/core/analysis/analysisModel';
import type { AnalysisResults } from '../src/core/analysis/analysisResults';
import { MemoryAnalysisStore, type StoredValue } from '../src/core/analysis/analysisStore';
import { calibrationPrompts } from '../src/core/analysis/calibrationPrompts';
import { defaultAnalysisSettings, defaultFastBits, validateSettings } from '../src/core/analysis/settings';
import { buildSamParametric, graphsOfScope, QuantizedSam } from '../src/core/evaluate/quantizedSam';
import { checksOneEncoderAtATime } from '../src/core/evaluate/checkedExport';
import { exportQuantizedSam } from '../src/core/evaluate/samExport';
import { verifySamExport } from '../src/core/evaluate/verifySamExport';
import { REFERENCE_SESSION_OPTIONS, toOrtFeeds, type OrtFeeds, type OrtModule, type SessionOptions } from '../src/core/onnx/ort';
import { decodeModel } from '../src/core/onnx/proto';
import { DEFAULT_WEIGHT_BITS } from '../src/core/quant/parametric';
import { discoverUnits } from '../src/core/quant/units';
import { detectSamPart, type DetectedDecoder, type DetectedEncoder } from '../src/core/sam/detectFormat';
import { createSamAdapter } from '../src/core/sam/samAdapter';
import { allocationByUnit, buildAllocationProblem, defaultBudgetSettings } from '../src/state/budgetProblem';
import { imageFromFile, loadModelFiles, sampleScenes } from '../tools/analyzeInputs';
import { PeakMeter, statusBytes } from './realSamMemory';
import { firstLine, formatMs, type ChildMessage, type NodeJob, type StageKey, type StageRecord } from './realSamStages';

/** The export check passes when mask logits differ by at most this fraction of their range (the studio's VERIFY_TOLERANCE). */
const EXPORT_TOLERANCE = 1e-3;

const ort = ortNode as unknown as OrtModule;
const send = (message: ChildMessage) => process.send?.(message);
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();

/** Thrown to stop the pipeline after a stage that was recorded as failed or that ended the run early. */
class StopPipeline extends Error {}

/** Begins and ends stages of this process: time, and the peak RSS between begin and end. */
class Stages {
  private readonly meter = new PeakMeter(() => ['self']);
  private open: { stage: StageKey; started: number; startBytes: number | null } | null = null;

  get current(): StageKey | null {
    return this.open?.stage ?? null;
  }

  get cumulative(): boolean {
    return this.meter.cumulative;
  }

  begin(stage: StageKey, options: { collect?: boolean } = {}): void {
    if (options.collect !== false) collectGarbage();
    this.meter.begin();
    this.open = { stage, started: performance.now(), startBytes: statusBytes('self', 'VmRSS') };
    send({ kind: 'begin', stage });
  }

  end(detail: string, extra: Partial<StageRecord> = {}): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    const peakBytes = this.meter.peaks().get('self') ?? null;
    send({ kind: 'stage', record: { stage: open.stage, status: 'ok', wallMs: performance.now() - open.started, peakBytes, startBytes: open.startBytes, detail, ...extra } });
  }

  fail(error: unknown, detail = ''): void {
    this.end(detail, { status: 'failed', error: firstLine(error) });
  }

  /** One stage around `work`; on an error the stage is recorded as failed and the pipeline stops. */
  async run<T>(stage: StageKey, work: () => T | Promise<T>, describe: (result: T) => string): Promise<T> {
    this.begin(stage);
    try {
      const result = await work();
      this.end(describe(result));
      return result;
    } catch (error) {
      this.fail(error);
      throw new StopPipeline(firstLine(error));
    }
  }
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function analysisImages(job: NodeJob): Promise<AnalysisImage[]> {
  const photos = await Promise.all(job.imageFiles.slice(0, job.imageCount).map(imageFromFile));
  // More images than photos: the studio's sample scenes (with their boxes) make up the rest.
  return [...photos, ...sampleScenes(job.imageCount - photos.length)];
}

function detectParts(files: SamModelFiles) {
  const encoder = decodeModel(files.encoder);
  const decoder = decodeModel(files.decoder);
  const encoderPart = detectSamPart(signatureOfGraph(encoder.graph!), 'The encoder') as DetectedEncoder;
  const decoderPart = detectSamPart(signatureOfGraph(decoder.graph!), 'The decoder') as DetectedDecoder;
  if (encoderPart.part !== 'encoder' || decoderPart.part !== 'decoder') throw new Error('encoder.onnx and decoder.onnx are not a SAM encoder and decoder, in that order.');
  const adapter = createSamAdapter(encoderPart, decoderPart, files.config);
  return { encoder, decoder, encoderPart, decoderPart, adapter };
}

/** The baseline: the model as a plain app runs it — default session options, one image, its prompts one run each. */
async function plainForward(job: NodeJob, stages: Stages, sessionOptions: SessionOptions): Promise<void> {
  const files = await loadModelFiles({ dir: job.modelDir });
  const [entry] = await analysisImages({ ...job, imageCount: 1 });
  let encoderFeeds: OrtFeeds;
  let promptFeeds: OrtFeeds[];
  let embeddingNames: readonly string[];
  {
    // Feeds are made before the clock starts; the decoded graphs are garbage afterwards.
    const { adapter } = detectParts(files);
    encoderFeeds = toOrtFeeds(ort, adapter.encoderFeeds(entry.image));
    const prompts = calibrationPrompts({ ...entry, width: entry.image.width, height: entry.image.height }, job.prompts, job.gridSize);
    promptFeeds = prompts.map((prompt) =>
      toOrtFeeds(ort, adapter.decoderFeeds(prompt.kind === 'box' ? { points: [], box: prompt } : { points: [prompt], box: null }, entry.image)),
    );
    embeddingNames = adapter.embeddingNames;
  }
  let embeddings: OrtFeeds = {};
  // Without the arena first, in a fresh process: memory the arena's run leaves with the allocator would count here.
  await stages.run(
    'plainEncoderLean',
    async () => {
      const session = await ort.InferenceSession.create(files.encoder, { ...sessionOptions, enableCpuMemArena: false });
      const started = performance.now();
      await session.run(encoderFeeds);
      const ran = performance.now();
      await session.release();
      return { runMs: ran - started };
    },
    (t) => `one forward ${formatMs(t.runMs)}`,
  );
  await stages.run(
    'plainEncoder',
    async () => {
      const started = performance.now();
      const session = await ort.InferenceSession.create(files.encoder, sessionOptions);
      const created = performance.now();
      const outputs = await session.run(encoderFeeds);
      const first = performance.now();
      await session.run(encoderFeeds);
      const second = performance.now();
      embeddings = Object.fromEntries(embeddingNames.map((name) => [name, outputs[name]]));
      await session.release();
      return { createMs: created - started, firstMs: first - created, secondMs: second - first };
    },
    (t) => `${entry.name}: session ${formatMs(t.createMs)}, forward ${formatMs(t.firstMs)} (again ${formatMs(t.secondMs)})`,
  );
  await stages.run(
    'plainDecoder',
    async () => {
      const started = performance.now();
      const session = await ort.InferenceSession.create(files.decoder, sessionOptions);
      const created = performance.now();
      for (const feeds of promptFeeds) {
        const all = { ...feeds, ...embeddings };
        await session.run(Object.fromEntries(session.inputNames.filter((name) => all[name]).map((name) => [name, all[name]])));
      }
      const ran = performance.now();
      await session.release();
      return { createMs: created - started, runMs: ran - created };
    },
    (t) => `session ${formatMs(t.createMs)}, ${promptFeeds.length} prompts in ${formatMs(t.runMs)} (one run each)`,
  );
}

/** A memory store that says when calibration has been saved: the end of the calibration stage. */
class WatchedStore extends MemoryAnalysisStore {
  onSave: (entryKey: string) => void = () => {};

  override async save(runKey: string, entryKey: string, value: StoredValue): Promise<void> {
    await super.save(runKey, entryKey, value);
    this.onSave(entryKey);
  }
}

/** Load and unit discovery, timed apart; the decoded graphs are garbage once this returns (the analysis decodes its own). */
async function loadAndDiscover(job: NodeJob, stages: Stages): Promise<{ files: SamModelFiles; graphOfUnit: Map<string, string> }> {
  const loaded = await stages.run(
    'load',
    async () => {
      const files = await loadModelFiles({ dir: job.modelDir });
      return { files, parts: detectParts(files) };
    },
    ({ files, parts }) =>
      `${parts.encoderPart.format}, input ${parts.adapter.inputSize}, decoder prompt batch ${parts.decoderPart.promptBatch ?? 'free'}; ${megabytes(files.encoder.byteLength)} + ${megabytes(files.decoder.byteLength)}`,
  );
  const graphOfUnit = await stages.run(
    'discovery',
    () => {
      const units = [...discoverUnits(loaded.parts.encoder, { graph: 'encoder' }), ...discoverUnits(loaded.parts.decoder, { graph: 'decoder' })];
      return new Map<string, string>(units.filter((unit) => !unit.excludedByDefault).map((unit) => [unit.id, unit.graph]));
    },
    (graphs) => {
      const encoderUnits = [...graphs.values()].filter((graph) => graph === 'encoder').length;
      return `${encoderUnits} encoder + ${graphs.size - encoderUnits} decoder units to probe`;
    },
  );
  return { files: loaded.files, graphOfUnit };
}

async function pipeline(job: NodeJob, stages: Stages, sessionOptions: SessionOptions): Promise<void> {
  const images = await analysisImages(job);
  send({ kind: 'note', text: `analysed: ${images.map((image) => `${image.name} ${image.image.width}×${image.image.height}`).join(', ')}; ${job.prompts} prompts each` });
  const { files: modelFiles, graphOfUnit } = await loadAndDiscover(job, stages);

  const settings = validateSettings({
    ...defaultAnalysisSettings,
    imageCount: images.length,
    promptsPerImage: job.prompts,
    gridSize: job.gridSize,
    sensitivityMode: job.mode,
    fastProbeBits: defaultFastBits(defaultAnalysisSettings.candidateBits),
    scope: job.scope,
  });
  const store = new WatchedStore();
  const probeTimes: { at: number; graph: string }[] = [];
  let total = 0;
  let stopped = false;
  let results: AnalysisResults;
  stages.begin('analysisPrepare');
  store.onSave = (entryKey) => {
    if (entryKey === 'calibration') {
      stages.end(`${images.length} image(s) × ${job.prompts} prompts`);
      stages.begin('firstProbe', { collect: false });
    }
  };
  try {
    ({ results } = await runAnalysis(modelFiles, images, settings, {
      ort,
      store,
      sessionOptions,
      onProgress: (progress) => {
        total = Math.max(total, progress.total);
        if (progress.phase === 'calibrating' && stages.current === 'analysisPrepare') {
          stages.end('runAnalysis up to its first calibration image: decode, detect, discover, hash, calibration sessions');
          stages.begin('calibration', { collect: false });
        }
      },
      onProbe: (record) => {
        probeTimes.push({ at: performance.now(), graph: graphOfUnit.get(record.unitId) ?? '?' });
        if (probeTimes.length === 1) {
          stages.end('parametric graphs, probe sessions, FP reference, 1 probe');
          stages.begin('probing', { collect: false });
        }
      },
      isCancelled: () => (stopped = job.probeLimit !== null && probeTimes.length >= job.probeLimit),
    }));
  } catch (error) {
    if (!stopped) {
      stages.fail(error);
      throw new StopPipeline(firstLine(error));
    }
    stages.end(probingDetail(probeTimes, total, job.probeLimit), { rate: probeRate(probeTimes) });
    throw new StopPipeline(`probing stopped after ${probeTimes.length} probes (--probe-limit)`);
  }
  stages.end(probingDetail(probeTimes, total, null), { rate: probeRate(probeTimes) });

  const solved = await stages.run(
    'solve',
    () => {
      const built = buildAllocationProblem(results, defaultBudgetSettings, {});
      const answer = solveInstant(built.problem);
      if (!answer.bits) throw new Error(`no allocation at the 4-bit budget: ${answer.infeasibleReason ?? answer.status}`);
      const allocation = allocationByUnit(built.unitIds, answer.bits, built.problem.locks ?? [], results.excludedUnits.map((unit) => unit.id));
      return { answer, allocation, params: built.problem.units.reduce((sum, unit) => sum + unit.params, 0) };
    },
    ({ answer, params }) => {
      const histogram = new Map<number, number>();
      for (const bits of answer.bits!) histogram.set(bits, (histogram.get(bits) ?? 0) + 1);
      const widths = [...histogram].sort((a, b) => a[0] - b[0]).map(([bits, count]) => `${count}×${bits}b`).join(' ');
      return `${answer.status}, gap ${((answer.gap ?? 0) * 100).toFixed(2)}%, ${((answer.sizeBits ?? 0) / params).toFixed(2)} bits/weight; ${widths}`;
    },
  );

  const facts = (await store.load(results.runKey)).get('calibration') as CalibrationFacts | undefined;
  const prepared = await stages.run(
    'exportSessions',
    async () => {
      if (!facts) throw new Error('the analysis left no calibration in its store');
      // As the studio's quantization worker prepares: its own PreparedSam, every width 2..8, preview sessions.
      const sam = prepareSam(modelFiles);
      const parametric = buildSamParametric(sam, facts, DEFAULT_WEIGHT_BITS, { graphs: graphsOfScope(job.scope) });
      const runner = await QuantizedSam.create(ort, sam, parametric, sessionOptions);
      return { sam, parametric, runner };
    },
    ({ parametric }) => `parametric graphs for ${parametric.weightBits.join(',')} bits + preview sessions`,
  );
  const exported = await stages.run(
    'exportWrite',
    () => exportQuantizedSam(prepared.sam, prepared.parametric, solved.allocation, { encoder: modelFiles.encoder.byteLength, decoder: modelFiles.decoder.byteLength }),
    (parts) => `encoder ${megabytes(parts.encoder.sizes.fileBytes)} (FP ${megabytes(parts.encoder.fpFileBytes)}), decoder ${megabytes(parts.decoder.sizes.fileBytes)} (FP ${megabytes(parts.decoder.fpFileBytes)})`,
  );
  stages.begin('exportCheck');
  try {
    // As the studio's check of a large encoder (checkedExport.ts): one encoder session at a time.
    const oneEncoder = checksOneEncoderAtATime(modelFiles.encoder.byteLength);
    if (oneEncoder) await prepared.runner.suspend();
    const reference = await QuantizedSam.create(ort, prepared.sam, prepared.parametric, { ...REFERENCE_SESSION_OPTIONS, ...sessionOptions });
    const entry = images[0];
    const item = { image: entry.image, prompts: calibrationPrompts({ ...entry, width: entry.image.width, height: entry.image.height }, job.prompts, job.gridSize) };
    const check = await verifySamExport(reference, { encoder: exported.encoder.bytes, decoder: exported.decoder.bytes }, solved.allocation, item, sessionOptions, {
      encoderUnchanged: exported.encoder.unchanged,
      suspendSimulation: oneEncoder,
    });
    await reference.release();
    const { maxAbsError, range, relativeError } = check.endToEnd;
    const detail = `${entry.name}, ${check.prompts} prompts: mask logits max |Δ| ${maxAbsError.toExponential(1)} of range ${range.toFixed(1)} (${relativeError.toExponential(1)}); embeddings |Δ| ${check.encoder.maxAbsError.toExponential(1)}`;
    if (relativeError <= EXPORT_TOLERANCE) stages.end(`≡ ${detail}`);
    else stages.fail(new Error(`export differs from the simulation by ${relativeError.toExponential(1)} of the range (> ${EXPORT_TOLERANCE})`), detail);
  } catch (error) {
    stages.fail(error);
  }
  await prepared.runner.release();
}

function probeRate(times: readonly { at: number }[]): number | undefined {
  return times.length >= 2 ? (times.length - 1) / ((times[times.length - 1].at - times[0].at) / 1000) : undefined;
}

/** "N probes; encoder a/s, decoder b/s": each interval is counted for the graph of the probe that ends it. */
function probingDetail(times: readonly { at: number; graph: string }[], total: number, limit: number | null): string {
  const byGraph = new Map<string, { count: number; ms: number }>();
  for (let i = 1; i < times.length; i++) {
    const entry = byGraph.get(times[i].graph) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += times[i].at - times[i - 1].at;
    byGraph.set(times[i].graph, entry);
  }
  const rates = [...byGraph].map(([graph, { count, ms }]) => `${graph} ${(count / (ms / 1000)).toFixed(2)}/s`).join(', ');
  const stoppedNote = limit !== null ? ` (stopped at --probe-limit ${limit})` : '';
  return `${times.length}/${total} probes${stoppedNote}; ${rates}`;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as NodeJob;
  const stages = new Stages();
  // Errors only: onnxruntime's warnings about unused initializers of the rewritten graphs would drown the log.
  ortNode.env.logLevel = 'error';
  const sessionOptions: SessionOptions = { logSeverityLevel: 3, ...(job.threads ? { intraOpNumThreads: job.threads } : {}) };
  try {
    if (job.kind === 'plain') await plainForward(job, stages, sessionOptions);
    else await pipeline(job, stages, sessionOptions);
  } catch (error) {
    send({ kind: 'note', text: `stopped: ${firstLine(error)}` });
  }
  process.send?.({ kind: 'end', cumulativePeaks: stages.cumulative } satisfies ChildMessage, () => process.exit(0));
}

void main();
