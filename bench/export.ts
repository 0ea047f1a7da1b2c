/**
 * Export profiles measured side by side (not in CI): for the demo SAM and any export folder, each
 * profile's file size vs FP32, encoder and decoder latency vs FP32 (onnxruntime-node with 1 intra-op
 * thread and with its defaults; onnxruntime-web's WASM backend, 1 thread, in this Node process), the
 * kernels of the optimized graph, per-op time, and on the demo the held-out mIoU vs truth and mask IoU
 * vs the simulation (the studio's preview). Prints a table with the targets and writes it to
 * bench/results/export.{md,json}.
 *
 *   npm run bench:export -- [--model DIR,DIR] [--no-demo] [--runs 15] [--held-out-objects 40]
 *        [--calibration-images 4] [--wasm on|off] [--out bench/results/export]
 *
 * Allocations: the demo takes the committed quality study's mixed σ @W4A4 allocation
 * (bench/results/quality.json, log2 softmax); other folders (random weights) the W8A8 budget, met by
 * uniform W8A8 over every analysed unit.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { imageFeeds, promptFeeds, type CalibrationItem } from '../src/core/analysis/analysisModel';
import { calibrationPrompts } from '../src/core/analysis/calibrationPrompts';
import { calibrateForExport, writeExport, type CalibratedSam, type UnitSettings } from '../src/core/evaluate/exportAllocation';
import { buildSamParametric, QuantizedSam } from '../src/core/evaluate/quantizedSam';
import type { EvaluationPlan } from '../src/core/evaluate/evaluationPlans';
import { countOf } from '../src/core/onnx/opCounts';
import type { OrtModule, OrtSession } from '../src/core/onnx/ort';
import type { Allocation } from '../src/core/quant/config';
import type { ExportProfile, LowBitWeights } from '../src/core/quant/export';
import { scoreHeldOut } from '../src/core/study/heldOutScores';
import { calibrationScenes, heldOutSet } from '../src/core/study/scenes';
import { loadModelFiles } from '../tools/analyzeInputs';
import { optimizedOpCounts } from '../tools/optimizedGraph';
import { latencyRatio, perOpMs, RoutedSam, type LatencyRatio, type Route } from './exportRuns';

const node = ort as unknown as OrtModule;
const web = ortWeb as unknown as OrtModule;
ortWeb.env.wasm.numThreads = 1;

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`Unexpected argument "${argv[i]}".`);
    if (argv[i] === '--no-demo') args.set('no-demo', 'true');
    else if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value.`);
    else args.set(argv[i].slice(2), argv[++i]);
  }
  return args;
}
const args = parseArgs(process.argv.slice(2));
const count = (name: string, fallback: number) => {
  const value = Number(args.get(name) ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1.`);
  return value;
};
const runs = count('runs', 15);
const heldOutObjects = count('held-out-objects', 40);
const calibrationImages = count('calibration-images', 4);
const wasm = (args.get('wasm') ?? 'on') === 'on';
const out = args.get('out') ?? 'bench/results/export';
const log = (line: string) => process.stderr.write(`[bench:export] ${line}\n`);

interface Variant {
  label: string;
  profile: ExportProfile;
  lowBitWeights?: LowBitWeights;
}
const VARIANTS: Variant[] = [
  { label: 'exact', profile: 'exact' },
  { label: 'fast-cpu (≤4-bit: MatMulNBits)', profile: 'fast-cpu', lowBitWeights: 'nbits' },
  { label: 'fast-cpu (≤4-bit: int8)', profile: 'fast-cpu', lowBitWeights: 'int8' },
  // Node cannot time WebGPU: its latencies here are onnxruntime's CPU / WASM kernels running the WebGPU file.
  { label: 'fast-webgpu (weights only; timed on CPU / WASM)', profile: 'fast-webgpu' },
];

interface Row {
  model: string;
  allocation: string;
  variant: string;
  profile: ExportProfile;
  sizeRatio: number;
  encoderSizeRatio: number;
  encoder1: LatencyRatio;
  encoderDefault: LatencyRatio;
  encoderWasm: LatencyRatio | null;
  decoder1: LatencyRatio;
  kernels: string;
  topOps: string;
  miouTruth: number | null;
  simMiouTruth: number | null;
  iouVsSim: number | null;
  promptsBelow09: number | null;
  prompts: number | null;
}

/** Kernels that say whether the integer paths run, by count in the optimized encoder + decoder. */
const KERNELS = ['MatMulNBits', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'QLinearMatMul', 'QLinearConv', 'ConvInteger', 'DequantizeLinear', 'QuantizeLinear', 'Clip', 'Log', 'MatMul', 'FusedMatMul', 'Gemm', 'FusedGemm'];

function kernelSummary(counts: Record<string, number>): string {
  return KERNELS.map((op) => [op, countOf(counts, op)] as const)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
}

function settingsOf(calibrated: CalibratedSam, allocation: Allocation): UnitSettings {
  const byId = new Map(calibrated.sam.probedUnits.map((unit) => [unit.id, unit]));
  const settings: Record<string, { wBits: number | null; aBits: number | null }> = {};
  for (const [id, bits] of Object.entries(allocation)) {
    const unit = byId.get(id);
    if (!unit) throw new Error(`Unit "${id}" of the allocation is not in this model.`);
    if (typeof bits === 'number') settings[id] = { wBits: unit.kind === 'weight' ? bits : null, aBits: bits };
  }
  return settings;
}

async function demoAllocation(): Promise<{ name: string; allocation: Allocation }> {
  const study = JSON.parse(await readFile('bench/results/quality.json', 'utf8')) as { allocations: { log2PostSoftmax: boolean; units: string[]; models: { id: string; bits: number[] }[] }[] };
  const analysis = study.allocations.find((a) => a.log2PostSoftmax)!;
  const model = analysis.models.find((m) => m.id === 'mixed-sensitivity-W4A4')!;
  return { name: 'W4A4 budget (mixed σ, quality study)', allocation: Object.fromEntries(analysis.units.map((id, i) => [id, model.bits[i]])) };
}

async function benchModel(name: string, dir: string | undefined, demo: boolean): Promise<Row[]> {
  log(`${name}: reading and calibrating`);
  const files = await loadModelFiles({ dir });
  const scenes = calibrationScenes(demo ? calibrationImages : 1);
  const items: CalibrationItem[] = scenes.map((entry) => ({ image: entry.image, prompts: calibrationPrompts({ ...entry, width: entry.image.width, height: entry.image.height }, 8, 4) }));
  const calibrated = await calibrateForExport(node, files, items, { onStep: (step) => log(`${name}: ${step}`) });
  const { sam } = calibrated;
  const chosen = demo ? await demoAllocation() : { name: 'W8A8 budget (uniform W8A8)', allocation: Object.fromEntries(sam.probedUnits.map((unit) => [unit.id, 8])) };
  const settings = settingsOf(calibrated, chosen.allocation);

  // Latency inputs: one image of the calibration set and one box prompt on it.
  const sample = items[0];
  const box = sample.prompts.find((p) => p.kind === 'box') ?? sample.prompts[0];
  const encoderRun = (module: OrtModule) => {
    const feeds = imageFeeds(module, sam, sample.image);
    return (session: OrtSession) => session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]])));
  };
  const fpEncoder = await node.InferenceSession.create(files.encoder);
  const embeddings = await encoderRun(node)(fpEncoder);
  await fpEncoder.release();
  const prompts = promptFeeds(node, sam, { image: sample.image, prompts: [box] });
  const decoderRun = async (session: OrtSession) => {
    for (const run of prompts.runs) {
      const feeds = { ...run, ...embeddings };
      await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]])));
    }
  };

  const exports = VARIANTS.map((variant) => ({ variant, files: writeExport(calibrated, settings, variant) }));
  const rows: Row[] = [];
  for (const { variant, files: exported } of exports) {
    log(`${name} · ${variant.label}: timing (${runs} runs each, alternating with FP32)`);
    const encoder1 = await latencyRatio(node, files.encoder, exported.encoder.bytes, { intraOpNumThreads: 1 }, runs, encoderRun(node));
    const encoderDefault = await latencyRatio(node, files.encoder, exported.encoder.bytes, {}, runs, encoderRun(node));
    const encoderWasm = wasm ? await latencyRatio(web, files.encoder, exported.encoder.bytes, {}, Math.max(3, Math.ceil(runs / 3)), encoderRun(web)) : null;
    const decoder1 = await latencyRatio(node, files.decoder, exported.decoder.bytes, { intraOpNumThreads: 1 }, runs, decoderRun);
    const counts = [await optimizedOpCounts(node, exported.encoder.bytes), await optimizedOpCounts(node, exported.decoder.bytes)];
    const merged: Record<string, number> = {};
    for (const c of counts) for (const [op, n] of Object.entries(c)) merged[op] = (merged[op] ?? 0) + n;
    const ops = await perOpMs(node, exported.encoder.bytes, { intraOpNumThreads: 1 }, 5, encoderRun(node));
    const topOps = Object.entries(ops).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([op, ms]) => `${op} ${ms.toFixed(1)}`).join(', ');
    const fpBytes = files.encoder.byteLength + files.decoder.byteLength;
    rows.push({
      model: name,
      allocation: chosen.name,
      variant: variant.label,
      profile: variant.profile,
      sizeRatio: (exported.encoder.bytes.byteLength + exported.decoder.bytes.byteLength) / fpBytes,
      encoderSizeRatio: exported.encoder.bytes.byteLength / files.encoder.byteLength,
      encoder1,
      encoderDefault,
      encoderWasm,
      decoder1,
      kernels: kernelSummary(merged),
      topOps,
      miouTruth: null,
      simMiouTruth: null,
      iouVsSim: null,
      promptsBelow09: null,
      prompts: null,
    });
  }
  const fpOps = await perOpMs(node, files.encoder, { intraOpNumThreads: 1 }, 5, encoderRun(node));
  log(`${name} FP32 encoder per-op ms (1 thread): ${Object.entries(fpOps).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([op, ms]) => `${op} ${ms.toFixed(1)}`).join(', ')}`);
  if (demo) await scoreQuality(calibrated, chosen.allocation, exports.map((e) => e.files), rows);
  return rows;
}

/** Held-out mIoU vs truth of the simulation and of each file, and each file's mask IoU vs the simulation. */
async function scoreQuality(calibrated: CalibratedSam, allocation: Allocation, exported: { encoder: { bytes: Uint8Array }; decoder: { bytes: Uint8Array } }[], rows: Row[]): Promise<void> {
  const { sam, facts } = calibrated;
  log(`quality: ${heldOutObjects} held-out objects, point and box prompts`);
  const widths = [...new Set(Object.values(allocation).filter((b): b is number => typeof b === 'number'))];
  const sim = await QuantizedSam.create(node, sam, buildSamParametric(sam, facts, widths));
  const heldOut = heldOutSet({ minObjects: heldOutObjects });
  const sessions = await Promise.all(exported.map(async (files) => ({ encoder: await node.InferenceSession.create(files.encoder.bytes), decoder: await node.InferenceSession.create(files.decoder.bytes) })));
  // One allocation object per file: the routed runner tells the plans apart by it.
  const keys = exported.map(() => ({ ...allocation }));
  const simKey = { ...allocation };
  const routes = new Map<Allocation, Route>([[simKey, { runner: sim, allocation }], ...keys.map((key, i) => [key, sessions[i]] as [Allocation, Route])]);
  const plans: EvaluationPlan[] = [{ id: 'mixed', label: 'simulation', allocation: simKey }, ...keys.map((key, i) => ({ id: 'mixed' as const, label: rows[i].variant, allocation: key }))];
  const vsTruth = await scoreHeldOut(new RoutedSam(sim, routes, { runner: sim, allocation: null }), heldOut, plans);
  const vsSim = await scoreHeldOut(new RoutedSam(sim, routes, { runner: sim, allocation }), heldOut, plans);
  for (const [i, row] of rows.slice(-exported.length).entries()) {
    const perPrompt = [...vsSim.byKind.point.plans[i + 1].iouFpByPrompt, ...vsSim.byKind.box.plans[i + 1].iouFpByPrompt];
    row.simMiouTruth = vsTruth.plans[0].miouTruth.all;
    row.miouTruth = vsTruth.plans[i + 1].miouTruth.all;
    row.iouVsSim = vsSim.plans[i + 1].miouFp.all;
    row.promptsBelow09 = perPrompt.filter((iou) => iou < 0.9).length;
    row.prompts = perPrompt.length;
  }
  for (const s of sessions) {
    await s.encoder.release();
    await s.decoder.release();
  }
  await sim.release();
}

const f2 = (x: number) => x.toFixed(2);
const ratioText = (r: LatencyRatio | null) => (r ? `${f2(r.ratio.median)} (${f2(r.ratio.p25)}–${f2(r.ratio.p75)})` : 'not run');

interface Target {
  size: number;
  encoder: number;
  quality: boolean;
}
function targetOf(row: Row): Target | null {
  if (row.profile !== 'fast-cpu') return null;
  return row.model === 'demo SAM' ? { size: 0.35, encoder: 0.9, quality: true } : { size: 0.3, encoder: 0.7, quality: false };
}

function verdict(row: Row): string {
  const target = targetOf(row);
  if (!target) return row.profile === 'exact' ? 'reference (≡ simulation)' : '';
  const checks = [
    `size ${row.sizeRatio <= target.size ? '✓' : '✗'} ≤ ${target.size}`,
    `enc node ${row.encoder1.ratio.median <= target.encoder ? '✓' : '✗'} ≤ ${target.encoder}`,
    row.encoderWasm ? `enc wasm ${row.encoderWasm.ratio.median <= target.encoder ? '✓' : '✗'}` : 'enc wasm not run',
  ];
  if (target.quality && row.miouTruth !== null && row.simMiouTruth !== null) checks.push(`mIoU ${row.miouTruth >= 0.99 * row.simMiouTruth ? '✓' : '✗'} ≥ 99 % of sim`);
  return checks.join('; ');
}

function markdown(rows: readonly Row[]): string {
  const header = ['model', 'allocation', 'profile', 'size vs FP32 (enc+dec / enc)', 'encoder latency vs FP32: node 1 thread', 'node default', 'WASM 1 thread', 'decoder node 1 thread', 'mIoU vs truth (sim)', 'mask IoU vs sim (prompts < 0.9)', 'kernels in the optimized graph (enc+dec)', 'encoder top ops, ms/run', 'targets'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const quality = row.miouTruth === null ? '—' : `${row.miouTruth.toFixed(4)} (${row.simMiouTruth!.toFixed(4)})`;
    const vsSim = row.iouVsSim === null ? '—' : `${row.iouVsSim.toFixed(4)} (${row.promptsBelow09}/${row.prompts})`;
    const cells = [row.model, row.allocation, row.variant, `${row.sizeRatio.toFixed(3)} / ${row.encoderSizeRatio.toFixed(3)}`, ratioText(row.encoder1), ratioText(row.encoderDefault), ratioText(row.encoderWasm), ratioText(row.decoder1), quality, vsSim, row.kernels, row.topOps, verdict(row)];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const fpNote = rows.map((r) => `${r.model}: FP32 encoder ${r.encoder1.fpMs.median.toFixed(1)} ms (1 thread), ${r.encoderDefault.fpMs.median.toFixed(1)} ms (default)`);
  return `${lines.join('\n')}\n\nRatios: median of per-round file/FP32 time ratios (quartiles in brackets), ${runs} alternating rounds (WASM ${Math.max(3, Math.ceil(runs / 3))}).\n${[...new Set(fpNote)].join('\n')}\n`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  if (!args.has('no-demo')) rows.push(...(await benchModel('demo SAM', undefined, true)));
  for (const dir of (args.get('model') ?? '').split(',').filter(Boolean)) rows.push(...(await benchModel(basename(dir.replace(/\/$/, '')), dir, false)));
  const table = markdown(rows);
  console.log(table);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(`${out}.md`, `# Export profiles (npm run bench:export)\n\n${table}`);
  await writeFile(`${out}.json`, `${JSON.stringify({ runs, heldOutObjects, calibrationImages, rows, elapsedS: (Date.now() - started) / 1000 }, null, 1)}\n`);
  log(`written ${out}.md and ${out}.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
