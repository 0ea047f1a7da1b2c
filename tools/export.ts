/**
 * Quantized SAM files from the command line, with onnxruntime-node and the same core as the studio's
 * Export card: calibrates on the studio's sample scenes (or --image-files), then writes the encoder and
 * decoder in the chosen profile.
 *
 *   npm run export -- --allocation report.json --out DIR [--profile exact|fast-cpu|fast-webgpu] [--model DIR]
 *                     [--low-bit-weights nbits|int8] [--rounding nearest|gptq] [--bias-correction on|off]
 *                     [--calibration-images 8] [--image-files a.jpg,b.png]
 *
 * The files are then checked as deployed (onnxruntime-node, default session options) on the first calibration
 * image: each prompt's mask against the simulation's, both against full precision, and the encoder timed
 * beside FP32 (--check off skips it).
 *
 * --allocation: the studio's report.json (each unit's width, weights and activations alike) or
 * {"units": [{"id": "encoder:/blocks.0/attn/qkv/MatMul", "wBits": 4, "aBits": 8}]}.
 * Profiles: exact equals the studio's preview bit for bit (for verification); fast-cpu runs the
 * quantized MatMuls as onnxruntime's CPU / WASM integer kernels (smaller and faster, close to the preview);
 * fast-webgpu stores the weights as the 4/8-bit MatMulNBits onnxruntime-web's WebGPU backend runs, activations
 * in float.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { calibrationPrompts } from '../src/core/analysis/calibrationPrompts';
import { defaultAnalysisSettings } from '../src/core/analysis/settings';
import { parseAllocationFile } from '../src/core/evaluate/allocationFile';
import { calibrateForExport, simulationOfSettings, writeExport, type CalibratedSam, type ExportedGraph, type UnitSettings } from '../src/core/evaluate/exportAllocation';
import { checkDeployed, PROMPT_AGREEMENT } from '../src/core/evaluate/deployedCheck';
import { QuantizedSam } from '../src/core/evaluate/quantizedSam';
import type { CalibrationItem } from '../src/core/analysis/analysisModel';
import { REFERENCE_SESSION_OPTIONS, type OrtModule, type SessionOptions } from '../src/core/onnx/ort';
import { EXPORT_PROFILES, type ExportProfile, type LowBitWeights } from '../src/core/quant/export';
import { EXPORT_PROFILE_CHOICES } from '../src/core/quant/profiles';
import { explainError } from '../src/core/userErrors';
import { demoModelDir, imageFromFile, loadModelFiles, sampleScenes } from './analyzeInputs';

const usage = `usage: npm run export -- --allocation FILE --out DIR [--profile ${EXPORT_PROFILES.join('|')}] [--model DIR]
       [--low-bit-weights nbits|int8] [--rounding nearest|gptq] [--bias-correction on|off] [--calibration-images N] [--image-files a.jpg,b.png] [--threads N] [--check on|off]`;

class UsageError extends Error {}

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (!key.startsWith('--')) throw new UsageError(`unexpected argument "${key}"`);
    const flag = key.slice(2);
    if (flag === 'help') args.set(flag, 'true');
    else if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`--${flag} needs a value`);
    else args.set(flag, argv[++i]);
  }
  const known = ['help', 'allocation', 'out', 'profile', 'model', 'low-bit-weights', 'rounding', 'bias-correction', 'calibration-images', 'image-files', 'threads', 'check'];
  for (const flag of args.keys()) if (!known.includes(flag)) throw new UsageError(`unknown option --${flag}`);
  return args;
}

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a whole number of at least 1, got "${text}"`);
  return value;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.has('help')) {
    console.log(usage);
    return;
  }
  const allocationPath = args.get('allocation');
  const out = args.get('out');
  if (!allocationPath) throw new UsageError('--allocation is required: the studio\'s report.json or a {"units": [...]} file');
  if (!out) throw new UsageError('--out is required: the folder to write encoder.onnx and decoder.onnx into');
  const profile = (args.get('profile') ?? 'exact') as ExportProfile;
  if (!EXPORT_PROFILES.includes(profile)) throw new UsageError(`--profile must be ${EXPORT_PROFILE_CHOICES}, got "${profile}"`);
  const lowBitWeights = (args.get('low-bit-weights') ?? 'nbits') as LowBitWeights;
  if (lowBitWeights !== 'nbits' && lowBitWeights !== 'int8') throw new UsageError(`--low-bit-weights must be nbits or int8, got "${lowBitWeights}"`);

  let json: unknown;
  try {
    json = JSON.parse(await readFile(allocationPath, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the allocation ${allocationPath}: ${(error as Error).message}`, { cause: error });
  }
  let allocation;
  try {
    allocation = parseAllocationFile(json);
  } catch (error) {
    throw new Error(`${allocationPath}: ${(error as Error).message}`, { cause: error });
  }
  // A studio report says how its model rounded weights; --rounding overrides it.
  const rounding = args.get('rounding') ?? allocation.weightRounding ?? 'nearest';
  if (rounding !== 'nearest' && rounding !== 'gptq') throw new UsageError(`--rounding must be nearest or gptq, got "${rounding}"`);
  // Bias correction too (off unless the report or --bias-correction says on).
  const correction = args.get('bias-correction') ?? (allocation.biasCorrection ? 'on' : 'off');
  if (correction !== 'on' && correction !== 'off') throw new UsageError(`--bias-correction must be on or off, got "${correction}"`);
  const biasCorrection = correction === 'on';
  const modelDir = args.get('model');
  const files = await loadModelFiles({ dir: modelDir });
  const imageFiles = args.get('image-files')?.split(',').filter(Boolean);
  const count = positive(args.get('calibration-images'), 'calibration-images', defaultAnalysisSettings.imageCount);
  const images = imageFiles ? await Promise.all(imageFiles.map(imageFromFile)) : sampleScenes(count);
  const items = images.slice(0, count).map((entry) => ({
    image: entry.image,
    prompts: calibrationPrompts({ ...entry, width: entry.image.width, height: entry.image.height }, defaultAnalysisSettings.promptsPerImage, defaultAnalysisSettings.gridSize),
  }));
  const threads = args.get('threads');
  const check = args.get('check') ?? 'on';
  if (check !== 'on' && check !== 'off') throw new UsageError(`--check must be on or off, got "${check}"`);
  const started = Date.now();
  const sessionOptions = threads ? { intraOpNumThreads: positive(threads, 'threads', 1) } : undefined;
  const onStep = (label: string) => process.stderr.write(`[export] ${label}\n`);
  const ortModule = ort as unknown as OrtModule;
  const calibrated = await calibrateForExport(ortModule, files, items, { weightRounding: rounding, biasCorrection, sessionOptions, onStep, check: allocation.settings });
  const exported = writeExport(calibrated, allocation.settings, { profile, lowBitWeights, onStep });

  await mkdir(out, { recursive: true });
  for (const part of [exported.encoder, exported.decoder]) await writeFile(join(out, `${part.graph}.onnx`), part.bytes);
  const manifest = join(typeof modelDir === 'string' ? modelDir : demoModelDir.pathname, 'model.json');
  // The folder stays loadable in the studio and by --model when the original had a model.json.
  await copyFile(manifest, join(out, 'model.json')).catch(() => {});
  const units = Object.keys(allocation.settings).length;
  console.log(`${profile} export of ${units} unit${units === 1 ? '' : 's'} (from ${allocation.source === 'report' ? 'the report' : allocation.source === 'solve' ? "the solve's file" : 'the units file'}), weights rounded ${rounding === 'gptq' ? 'by GPTQ' : 'to nearest'}${biasCorrection ? ', biases corrected' : ''}, calibrated on ${items.length} image${items.length === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  for (const part of [exported.encoder, exported.decoder]) {
    const ratio = part.sizes.fileBytes / part.fpFileBytes;
    console.log(`  ${part.graph}.onnx  ${megabytes(part.sizes.fileBytes)} (${ratio.toFixed(3)} × FP32 ${megabytes(part.fpFileBytes)}), ${part.quantizedWeights.length} weights quantized, activations of ${part.quantizedActivations.length} units`);
  }
  console.log(`Written to ${out}`);
  if (check === 'on') await printDeployedCheck(ortModule, calibrated, allocation.settings, exported, items[0], files.encoder, { ...sessionOptions, onStep });
}

/** The files as deployed here (onnxruntime-node's default options) against the simulation, one line each. */
async function printDeployedCheck(
  ortModule: OrtModule,
  calibrated: CalibratedSam,
  settings: UnitSettings,
  exported: { encoder: ExportedGraph; decoder: ExportedGraph },
  item: CalibrationItem,
  fpEncoder: Uint8Array,
  options: SessionOptions & { onStep: (label: string) => void },
): Promise<void> {
  const { onStep, ...sessionOptions } = options;
  const target = simulationOfSettings(calibrated, settings);
  if ('reason' in target) {
    console.log(`Not checked against the simulation: ${target.reason}.`);
    return;
  }
  onStep(`Checking the files as deployed on ${item.prompts.length} prompts`);
  const simulation = await QuantizedSam.create(ortModule, calibrated.sam, target.parametric, { ...REFERENCE_SESSION_OPTIONS, ...sessionOptions });
  try {
    const files = { encoder: exported.encoder.bytes, decoder: exported.decoder.bytes };
    const d = await checkDeployed(simulation, files, target.allocation, item, { sessionOptions, fpEncoder });
    const latency = d.latency
      ? `encoder ×${d.latency.ratio.toFixed(2)} the FP32 time (median ratio of ${d.latency.rounds} alternating rounds; medians ${d.latency.fileMs.toFixed(0)} vs ${d.latency.fpMs.toFixed(0)} ms)`
      : 'encoder not timed';
    console.log(`Checked as deployed (onnxruntime-node, default session options) on ${d.iouByPrompt.length} prompts of the first calibration image:`);
    console.log(`  masks vs the simulation mIoU ${d.miou.toFixed(3)}, ${d.below} below ${PROMPT_AGREEMENT} (worst ${d.worst.toFixed(3)}); vs full precision: file ${d.miouFp.file.toFixed(3)}, simulation ${d.miouFp.preview.toFixed(3)}`);
    console.log(`  per prompt: ${d.iouByPrompt.map((iou) => iou.toFixed(3)).join(' ')}`);
    console.log(`  ${latency}`);
  } finally {
    await simulation.release();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${usage}`);
    process.exit(2);
  }
  const explained = explainError(error, { backend: 'node' });
  if (explained.kind === 'unknown') console.error(explained.detail);
  else console.error([`${explained.title}.`, 'What to do:', ...explained.advice.map((step) => `  - ${step}`), `Original error: ${explained.detail.trim()}`].join('\n'));
  process.exit(1);
});
