/**
 * What one probe costs against one plain full-precision forward of what it must run (issue #15), side by
 * side in one run, on the demo SAM (Sample 1 and its boxes) and on the MobileSAM fixture (a photo and
 * point-grid prompts), onnxruntime-node with one intra-op thread. Every timed call is the engine's own:
 * the probe sessions come from createProbeRunners (what runAnalysis builds), probes are
 * EncoderProbeRunner.probe / DecoderProbeRunner.run with the engine's probeConfig.
 *
 * Timed, in interleaved rounds (each round runs every item once, so noise from other work on the machine
 * falls on all of them alike; ratios are taken per round, then their median and range):
 *   plain encoder / decoder   the original graphs, same session options as the analysis
 *   parametric encoder        the whole parametric encoder as one session, every gate off
 *   reference chain           EncoderProbeRunner.reference: the segment chain, values at the cuts kept
 *   parametric decoder        the parametric decoder as one session, every gate off
 *   engine FP decoder run     DecoderProbeRunner.run with config null (the reference, and after encoder probes)
 *   encoder-unit probe        EncoderProbeRunner.probe (W4A4) + the FP decoder run, for units at several
 *                             depths; against the original encoder from the same cut + the plain decoder
 *   decoder-unit probe        DecoderProbeRunner.run with a W4A4 config; against the plain decoder
 * Peak memory: VmHWM of a child process running a plain FP forward, and of one running runAnalysis
 * (calibration, sessions, reference, probes; stopped after --probe-limit probes).
 *
 *   npm run bench:probe-cost -- [--rounds N (default 31 demo, 5 MobileSAM)] [--models demo,mobilesam] [--probe-limit 16] [--skip-memory]
 *        [--mobilesam DIR] [--image FILE] [--out bench/results/probe-cost.md]
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import * as ortNode from 'onnxruntime-node';
import { analysisSessionOptions, createProbeRunners, probeConfig, runAnalysis, type AnalysisImage } from '../src/core/analysis/analysisEngine';
import { imageFeeds, parametricOptionsOf, promptFeeds } from '../src/core/analysis/analysisModel';
import { calibratePlan, planAnalysis } from '../src/core/analysis/analysisPlan';
import { MemoryAnalysisStore } from '../src/core/analysis/analysisStore';
import { findCuts, indexGraph, segmentModel } from '../src/core/analysis/encoderSegments';
import { quantProbe } from '../src/core/analysis/metrics';
import { runPromptRuns } from '../src/core/analysis/promptRuns';
import { defaultAnalysisSettings, type AnalysisSettings } from '../src/core/analysis/settings';
import { CancelledError } from '../src/core/progress';
import { toOrtFeeds, type OrtFeeds, type OrtModule, type OrtSession } from '../src/core/onnx/ort';
import { encodeModelBytes } from '../src/core/onnx/proto';
import { buildParametricModel } from '../src/core/quant/parametric';
import type { QuantUnit } from '../src/core/quant/units';
import { imageFromFile, loadModelFiles, sampleScenes } from '../tools/analyzeInputs';
import { resetPeak, statusBytes } from './realSamMemory';

const ort = ortNode as unknown as OrtModule;
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i].replace(/^--/, '');
  if (key.startsWith('skip-')) args.set(key, 'true');
  else args.set(key, process.argv[++i]);
}
/** Rounds per model: the demo's forwards take milliseconds, MobileSAM's seconds. */
const roundsOf = (model: string) => Number(args.get('rounds') ?? (model === 'demo' ? 31 : 5));
const probeLimit = Number(args.get('probe-limit') ?? 16);
const models = (args.get('models') ?? 'demo,mobilesam').split(',');
const mobileSamDir = args.get('mobilesam') ?? '../shared/fixtures/mobilesam-random';
const photo = args.get('image') ?? '../shared/data/images/dog.jpg';
const out = args.get('out') ?? 'bench/results/probe-cost.md';
const BITS = 4;
const sessionOptions = analysisSessionOptions({ intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 });

/** Sample 1 with 4 of its boxes, or the photo with a 4-point grid; σ at 4 bits only. */
const settings: AnalysisSettings = { ...defaultAnalysisSettings, imageCount: 1, promptsPerImage: 4, sensitivityMode: 'fast', candidateBits: [BITS], fastProbeBits: [BITS] };

async function inputsOf(model: string) {
  if (model === 'demo') return { files: await loadModelFiles({}), images: sampleScenes(1), what: 'demo SAM, Sample 1, 4 box prompts' };
  const image: AnalysisImage = await imageFromFile(photo);
  return { files: await loadModelFiles({ dir: mobileSamDir }), images: [image], what: `MobileSAM fixture (random weights), ${image.name} ${image.image.width}×${image.image.height}, 4 grid points` };
}

// ---------------------------------------------------------------- child: peak memory of one job

interface MemoryJob {
  model: string;
  job: 'plain' | 'analysis';
}
interface MemoryReading {
  peakBytes: number | null;
  /** The highest of the phases' peaks after the files were read (the job's own peak). */
  jobPeakBytes: number | null;
  startBytes: number | null;
  detail: string;
}

async function memoryChild(job: MemoryJob): Promise<MemoryReading> {
  const { files, images } = await inputsOf(job.model);
  const startBytes = statusBytes('self', 'VmRSS');
  const loadPeak = statusBytes('self', 'VmHWM');
  // Each phase's own peak: read at its end, then reset to the current RSS for the next.
  const phases: [string, number | null][] = [];
  let current = job.job === 'plain' ? 'sessions' : 'plan';
  const reset = resetPeak('self');
  const phase = (next: string) => {
    if (next === current) return;
    phases.push([current, statusBytes('self', 'VmHWM')]);
    resetPeak('self');
    current = next;
  };
  let detail: string;
  if (job.job === 'plain') {
    const plan = await planAnalysis(files, images, settings);
    const [item] = plan.items;
    const encoder = await ort.InferenceSession.create(files.encoder, sessionOptions);
    const decoder = await ort.InferenceSession.create(files.decoder, sessionOptions);
    phase('encoder');
    const embeddings = await encoder.run(imageFeeds(ort, plan.sam, item.image));
    phase('decoder');
    await runPromptRuns(ort, decoder, promptFeeds(ort, plan.sam, item), embeddings);
    phase('end');
    detail = 'plan (decoded graphs), both sessions, one encoder + decoder forward';
  } else {
    let probes = 0;
    let calibrated = false;
    try {
      const { stats } = await runAnalysis(files, images, settings, {
        ort,
        store: new MemoryAnalysisStore(),
        sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 },
        onProgress: (p) => {
          if (p.phase === 'calibrating') calibrated = true;
          phase(p.phase === 'preparing' ? (calibrated ? 'sessions' : 'plan') : p.phase);
        },
        onProbe: () => probes++,
        isCancelled: () => probes >= probeLimit,
      });
      detail = `whole analysis, ${stats.probesRun} probes`;
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
      detail = `runAnalysis stopped after ${probes} probes`;
    }
    phase('end');
  }
  const jobPeak = reset ? Math.max(...phases.map(([, bytes]) => bytes ?? 0)) : null;
  detail += `; by phase: ${phases.map(([name, bytes]) => `${name} ${mb(bytes)}`).join(', ')}`;
  return { peakBytes: Math.max(loadPeak ?? 0, jobPeak ?? statusBytes('self', 'VmHWM') ?? 0), jobPeakBytes: jobPeak, startBytes, detail };
}

function runChild(job: MemoryJob): Promise<MemoryReading> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--child', JSON.stringify(job)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let reading: MemoryReading | null = null;
    child.on('message', (message) => (reading = message as MemoryReading));
    child.on('error', reject);
    child.on('exit', (code) => (reading ? resolve(reading) : reject(new Error(`memory child ${JSON.stringify(job)} exited with ${code}`))));
  });
}

// ---------------------------------------------------------------- timing

interface Item {
  key: string;
  label: string;
  run: () => Promise<unknown>;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const mb = (bytes: number | null) => (bytes === null ? '—' : `${(bytes / 1e6).toFixed(0)} MB`);

async function timeModel(model: string, lines: string[]) {
  const rounds = roundsOf(model);
  const { files, images, what } = await inputsOf(model);
  const plan = await planAnalysis(files, images, settings);
  const { sam, widths } = plan;
  const [item] = plan.items;
  console.log(`\n${model}: calibrating…`);
  const facts = await calibratePlan(plan, { ort, sessionOptions });
  const units = plan.inScope;
  const { encoder, decoder } = await createProbeRunners(plan, facts, units, { ort, sessionOptions });
  const encoderUnits = units.filter((u) => u.graph === 'encoder');
  const decoderUnits = units.filter((u) => u.graph === 'decoder');

  const image = imageFeeds(ort, sam, item.image);
  const prompts = promptFeeds(ort, sam, item);
  const plainEncoder = await ort.InferenceSession.create(files.encoder, sessionOptions);
  const plainDecoder = await ort.InferenceSession.create(files.decoder, sessionOptions);
  const encoderParametric = buildParametricModel(sam.encoder, encoderUnits, parametricOptionsOf(facts, widths));
  const parametricEncoder = await ort.InferenceSession.create(encoderParametric.bytes, sessionOptions);
  const gatesOff = toOrtFeeds(ort, encoderParametric.feedsFor({}));
  const decoderParametric = buildParametricModel(sam.decoder, decoderUnits, parametricOptionsOf(facts, widths));
  const parametricDecoder = await ort.InferenceSession.create(decoderParametric.bytes, sessionOptions);
  const decoderGatesOff = toOrtFeeds(ort, decoderParametric.feedsFor({}));
  const only = (feeds: OrtFeeds, session: OrtSession) => Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]]));
  const reference = await encoder.reference(image);
  const embeddingNames = sam.adapter.embeddingNames;

  // Units at several depths; each one's baseline is the original encoder from the same cut.
  const picks = [0, 0.25, 0.5, 0.75, 1].map((f) => encoderUnits[Math.round(f * (encoderUnits.length - 1))]);
  const chosen = [...new Set(picks)].filter((u): u is QuantUnit => !!u);
  const originalIndex = indexGraph(sam.encoder.graph!, [sam.encoderIo.inputName]);
  const originalCuts = findCuts(originalIndex, 1);
  const segments = encoder.segmentPlan;
  const plainSuffix = new Map<string, OrtSession>();
  for (const unit of chosen) {
    const cut = segments.cutOfUnit.get(unit.id) ?? null;
    if (!cut) continue;
    const same = originalCuts.find((c) => c.tensors.join() === cut.tensors.join());
    if (!same) continue;
    const fromDims = new Map(cut.tensors.map((t) => [t, reference.cutValues.get(t)!.dims]));
    const suffix = segmentModel(sam.encoder, originalIndex, { from: same, to: null, fromDims });
    plainSuffix.set(unit.id, await ort.InferenceSession.create(encodeModelBytes(suffix), sessionOptions));
  }
  const probe = quantProbe(BITS);
  const decoderPicks = [...new Set([0, 0.5, 1].map((f) => decoderUnits[Math.round(f * (decoderUnits.length - 1))]))].filter((u): u is QuantUnit => !!u);

  const items: Item[] = [
    { key: 'plainEnc', label: 'plain encoder', run: () => plainEncoder.run(image) },
    { key: 'plainDec', label: 'plain decoder', run: () => runPromptRuns(ort, plainDecoder, prompts, reference.outputs) },
    { key: 'paramEnc', label: 'parametric encoder, one session, gates off', run: () => parametricEncoder.run(only({ ...image, ...gatesOff }, parametricEncoder), [...embeddingNames]) },
    { key: 'refChain', label: 'reference: segment chain, gates off, cuts kept', run: () => encoder.reference(image) },
    { key: 'paramDec', label: 'parametric decoder, gates off', run: () => runPromptRuns(ort, parametricDecoder, prompts, { ...reference.outputs, ...decoderGatesOff }) },
    { key: 'engineDec', label: 'engine FP decoder run (DecoderProbeRunner.run, config null)', run: () => decoder.run(reference.outputs, prompts, null) },
  ];
  for (const unit of chosen) {
    const config = probeConfig(unit, probe, BITS);
    items.push({
      key: `encProbe:${unit.id}`,
      label: `encoder probe W4A4 ${unit.id}`,
      run: async () => decoder.run(await encoder.probe(unit, config, image, reference), prompts, null),
    });
    const suffix = plainSuffix.get(unit.id);
    if (suffix) {
      const cut = segments.cutOfUnit.get(unit.id)!;
      const cutFeeds = Object.fromEntries(cut.tensors.map((t) => [t, reference.cutValues.get(t)!]));
      items.push({ key: `plainSuffix:${unit.id}`, label: `plain encoder from ${unit.id}'s cut`, run: () => suffix.run(only({ ...image, ...cutFeeds }, suffix)) });
    }
  }
  for (const unit of decoderPicks) {
    const config = probeConfig(unit, probe, BITS);
    items.push({ key: `decProbe:${unit.id}`, label: `decoder probe W4A4 ${unit.id}`, run: () => decoder.run(reference.outputs, prompts, config) });
  }

  // One warm-up round (segment sessions compile on first use), then interleaved rounds.
  for (const it of items) await it.run();
  const times = new Map(items.map((it) => [it.key, [] as number[]]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? items : [...items].reverse();
    for (const it of order) {
      const t0 = performance.now();
      await it.run();
      times.get(it.key)!.push(performance.now() - t0);
    }
    process.stdout.write(`  round ${r + 1}/${rounds}\r`);
  }
  const t = (key: string) => times.get(key)!;
  const spread = (values: readonly number[]) => `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})`;

  lines.push(`\n## ${model}: ${what}\n`, `${rounds} interleaved rounds after one warm-up round (odd rounds in reverse order); ratios are per round.\n`);
  lines.push(`Encoder: ${encoderUnits.length} probed units, ${segments.cuts.length} cuts (maxEncoderSegments ${settings.maxEncoderSegments}); decoder: ${decoderUnits.length} probed units; ${prompts.runs.length} decoder run(s) per forward.\n`);
  lines.push('| timed | median ms (min–max) |', '|---|---:|');
  for (const it of items) lines.push(`| ${it.label} | ${spread(t(it.key))} |`);

  /** Per-round ratio of summed items, its median and range. */
  const ratio = (num: string[], den: string[]) => {
    const per = Array.from({ length: rounds }, (_, r) => num.reduce((s, k) => s + t(k)[r], 0) / den.reduce((s, k) => s + t(k)[r], 0));
    const least = (keys: string[]) => keys.reduce((sum, k) => sum + Math.min(...t(k)), 0);
    return { median: median(per), min: Math.min(...per), max: Math.max(...per), ofMinima: least(num) / least(den) };
  };
  const row = (name: string, num: string[], den: string[], target: number | null, against: string) => {
    const r = ratio(num, den);
    const verdict = (value: number) => (target === null ? '' : value <= target ? `✓ ≤ ${target}` : `✗ > ${target}`);
    lines.push(`| ${name} | ${against} | ${r.median.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)}) | ${verdict(r.median)} | ${r.ofMinima.toFixed(2)}× | ${verdict(r.ofMinima)} |`);
  };
  // Other work on the machine only ever adds time: the ratio of the fastest runs is the least noisy.
  lines.push('', '| ratio | against | median per round (range) | target | of fastest runs | target |', '|---|---|---:|---|---:|---|');
  row('parametric encoder, gates off (one session)', ['paramEnc'], ['plainEnc'], 1.1, 'plain encoder');
  row('reference chain (engine FP run)', ['refChain'], ['plainEnc'], 1.1, 'plain encoder');
  row('parametric decoder, gates off', ['paramDec'], ['plainDec'], 1.1, 'plain decoder');
  row('engine FP decoder run (reference, after encoder probes)', ['engineDec'], ['plainDec'], 1.1, 'plain decoder');
  for (const unit of chosen) {
    const cut = segments.cutOfUnit.get(unit.id) ?? null;
    const where = cut ? `cut at node ${cut.position}/${segments.index.nodes.length}` : 'no cut: whole encoder';
    if (plainSuffix.has(unit.id)) row(`encoder probe ${unit.id} (${where})`, [`encProbe:${unit.id}`], [`plainSuffix:${unit.id}`, 'plainDec'], 1.2, 'plain encoder from the cut + plain decoder');
    else if (!cut) row(`encoder probe ${unit.id} (${where})`, [`encProbe:${unit.id}`], ['plainEnc', 'plainDec'], 1.2, 'plain encoder + decoder');
    row(`encoder probe ${unit.id}`, [`encProbe:${unit.id}`], ['plainEnc', 'plainDec'], null, 'plain encoder + decoder (the old measure)');
  }
  for (const unit of decoderPicks) row(`decoder probe ${unit.id}`, [`decProbe:${unit.id}`], ['plainDec'], 1.2, 'plain decoder');
  row('decoder probe (first picked)', [`decProbe:${decoderPicks[0].id}`], ['plainEnc', 'plainDec'], null, 'plain encoder + decoder (the old measure)');

  await encoder.release();
  await decoder.release();
  for (const s of [plainEncoder, plainDecoder, parametricEncoder, parametricDecoder, ...plainSuffix.values()]) await s.release();
}

if (args.has('child')) {
  const reading = await memoryChild(JSON.parse(args.get('child')!) as MemoryJob);
  process.send?.(reading);
  process.exit(0);
}

const started = performance.now();
const lines: string[] = [
  '# Probe cost against a plain forward (issue #15)',
  '',
  `\`npm run bench:probe-cost\`: onnxruntime-node, 1 intra-op thread, analysis session options (level basic, no pre-packing, no arena) for every session;`,
  `${cpus().length} CPU(s) (${cpus()[0]?.model ?? '?'}), load average at start ${loadavg().map((l) => l.toFixed(1)).join(' / ')}.`,
];
for (const model of models) {
  await timeModel(model, lines);
  writeFileSync(out, lines.join('\n') + '\n');
}
if (!args.has('skip-memory')) {
  lines.push('\n## Peak memory (VmHWM of a child process)\n');
  lines.push(`Both children read the same files first; "job peak" is the peak after that (VmHWM reset when each phase begins, read when it ends). The analysis is runAnalysis with the settings above, stopped after ${probeLimit} probes.\n`);
  lines.push('| model | plain forward: peak / job peak | analysis: peak / job peak | ratio (peak) | ratio (job peak) | target ≤ 1.5 |', '|---|---:|---:|---:|---:|---|');
  const details: string[] = [];
  for (const model of models) {
    const plain = await runChild({ model, job: 'plain' });
    const analysis = await runChild({ model, job: 'analysis' });
    const r = (a: number | null, b: number | null) => (a === null || b === null ? NaN : a / b);
    const whole = r(analysis.peakBytes, plain.peakBytes);
    const job = r(analysis.jobPeakBytes, plain.jobPeakBytes);
    lines.push(`| ${model} | ${mb(plain.peakBytes)} / ${mb(plain.jobPeakBytes)} | ${mb(analysis.peakBytes)} / ${mb(analysis.jobPeakBytes)} | ${whole.toFixed(2)}× | ${job.toFixed(2)}× | ${job <= 1.5 ? '✓' : '✗'} |`);
    details.push(`- ${model}, plain: ${plain.detail}`, `- ${model}, analysis: ${analysis.detail}`);
  }
  lines.push('', ...details);
}
lines.push('', `Bench wall time ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')}.`);
const text = lines.join('\n') + '\n';
console.log(text);
writeFileSync(out, text);
