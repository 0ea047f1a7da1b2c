/**
 * The quality study (README "Quality study"): mixed precision against uniform quantization at equal
 * size and BOPs budgets on the demo SAM, in one run, with onnxruntime-node and the studio's own code
 * (src/core/study). Prints the table and writes it as markdown, a self-contained HTML page in the studio
 * report's style, and JSON under bench/results/.
 *
 *   npm run bench:quality -- [--calibration-images 4] [--calibration-prompts 8] [--bits 2,3,4,5,6,7,8]
 *        [--held-out-objects 120] [--modes paper,sensitivity] [--lambda 0.01] [--lambda-scale objective|raw]
 *        [--log2 on,off|on|off] [--weight-range mse|minmax] [--budgets W8A8,W6A6,W5A5,W4A4,W3A3] [--per-width ranges,tau|none]
 *        [--rounding nearest,gptq|nearest|gptq] [--migration α] [--big on] (FP-exact rewrites first: outlier
 *        migration of the encoder's LayerNorms, BIG on the decoder's token→image keys)
 *        [--bias-correction on] (adds rows with each quantized unit's bias corrected for its mean output
 *        shift beside the uncorrected ones; `only` scores the corrected ones alone)
 *
 * Defaults are the committed table's settings: all four budgets, the post-softmax log2 quantizer on and
 * off (one analysis each), about 20 minutes on 2 idle cores. METHOD.md's own defaults are --lambda 0.1
 * --lambda-scale raw --per-width none.
 *        [--cache artifacts/quality/analysis.jsonl] [--out bench/results/quality] [--model DIR] [--threads N]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import GLPK from 'glpk.js/node';
import * as ort from 'onnxruntime-node';
import { glpkEngine, type GlpkSolver } from '../src/core/allocate';
import { MemoryAnalysisStore, type AnalysisStore } from '../src/core/analysis/analysisStore';
import { defaultAnalysisSettings } from '../src/core/analysis/settings';
import type { OrtModule } from '../src/core/onnx/ort';
import { STUDY_BUDGETS, type ObjectiveMode } from '../src/core/study/plan';
import { calibrationScenes, heldOutSet, CALIBRATION_FIRST_SEED, HELD_OUT_FIRST_SEED } from '../src/core/study/scenes';
import { runQualityStudy, type StudySettings, type WeightRounding } from '../src/core/study/studyRun';
import { renderStudyHtml } from '../src/core/study/studyHtml';
import { checkTargets, markdownTable, markdownTargets } from '../src/core/study/table';
import { journalStore, loadModelFiles } from '../tools/analyzeInputs';
import { applySamBig, migrateSamEncoder } from '../src/core/analysis/samRewrites';
import { promptsOfImage } from '../src/core/analysis/analysisKeys';

function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`Expected "--name value" pairs, got "${argv.slice(i).join(' ')}".`);
    args.set(argv[i].slice(2), argv[i + 1]);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const number = (name: string, fallback: number) => {
  const text = args.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got "${text}".`);
  return value;
};
const list = (name: string, fallback: string) => (args.get(name) ?? fallback).split(',').map((part) => part.trim()).filter(Boolean);

const calibrationImages = number('calibration-images', 4);
const bits = list('bits', '2,3,4,5,6,7,8').map(Number);
const modes = list('modes', 'paper,sensitivity') as ObjectiveMode[];
for (const mode of modes) if (mode !== 'paper' && mode !== 'sensitivity') throw new Error(`--modes takes paper and/or sensitivity, got "${mode}".`);
const lambdaScale = args.get('lambda-scale') ?? 'objective';
if (lambdaScale !== 'raw' && lambdaScale !== 'objective') throw new Error(`--lambda-scale is raw or objective, got "${lambdaScale}".`);
const weightRange = args.get('weight-range') ?? 'mse';
if (weightRange !== 'mse' && weightRange !== 'minmax') throw new Error(`--weight-range is mse or minmax, got "${weightRange}".`);
const budgetLabels = list('budgets', 'W8A8,W6A6,W5A5,W4A4,W3A3');
const roundings = list('rounding', 'nearest,gptq') as WeightRounding[];
for (const rounding of roundings) if (rounding !== 'nearest' && rounding !== 'gptq') throw new Error(`--rounding takes nearest and/or gptq, got "${rounding}".`);
const biasCorrectionFlag = args.get('bias-correction') ?? 'off';
if (!['off', 'on', 'only'].includes(biasCorrectionFlag)) throw new Error(`--bias-correction is off, on or only, got "${biasCorrectionFlag}".`);
const biasCorrection = biasCorrectionFlag === 'on' ? [false, true] : biasCorrectionFlag === 'only' ? [true] : [false];
const budgets = budgetLabels.map((label) => {
  const budget = STUDY_BUDGETS.find((b) => b.label === label);
  if (!budget) throw new Error(`Unknown budget "${label}"; the study knows ${STUDY_BUDGETS.map((b) => b.label).join(', ')}.`);
  return budget;
});

const settings: StudySettings = {
  analysis: {
    ...defaultAnalysisSettings,
    imageCount: calibrationImages,
    promptsPerImage: number('calibration-prompts', 8),
    sensitivityMode: 'exact',
    candidateBits: bits,
    perWidthRanges: list('per-width', 'ranges,tau').includes('ranges'),
    perWidthLog2Tau: list('per-width', 'ranges,tau').includes('tau'),
  },
  budgets,
  modes,
  objective: { lambda: number('lambda', 0.01), lambdaScale },
  log2PostSoftmax: list('log2', 'on,off').map((value) => value === 'on'),
  quantizer: { weightRange },
  roundings,
  ...(biasCorrectionFlag === 'off' ? {} : { biasCorrection }),
};

async function main(): Promise<void> {
  const started = Date.now();
  let files = await loadModelFiles({ dir: args.get('model') });
  const heldOut = heldOutSet({ minObjects: number('held-out-objects', 120) });
  const calibration = calibrationScenes(calibrationImages);
  const migration = args.has('migration') ? number('migration', 0.5) : null;
  let migrated = '';
  if (migration !== null) {
    const result = await migrateSamEncoder(ort as unknown as OrtModule, files, calibration, migration);
    files = result.files;
    migrated = `outlier migration of the encoder (α = ${migration}, per-channel max |x| on the calibration scenes): ${result.report.migrated.length} LayerNorms migrated into ${result.report.migrated.reduce((n, site) => n + site.units.length, 0)} units, ${result.report.skipped.length} skipped; the study analyses the rewritten model`;
    console.error(migrated);
  }
  if (args.get('big') === 'on') {
    const items = calibration.map((entry) => ({ image: entry.image, prompts: promptsOfImage(entry, settings.analysis) }));
    const result = await applySamBig(ort as unknown as OrtModule, files, items);
    const folded = result.report.filter((site) => site.applied);
    migrated += `${migrated ? '; ' : ''}BIG on the decoder: ${folded.length} of ${result.report.length} token→image attentions folded (where it narrows the keys' range)`;
    files = result.files;
    console.error(migrated);
  }
  const cache = args.get('cache');
  const store: AnalysisStore = cache ? await journalStore(cache) : new MemoryAnalysisStore();
  const threads = args.get('threads');
  const log = (line: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

  const result = await runQualityStudy({
    ort: ort as unknown as OrtModule,
    milp: glpkEngine((await GLPK()) as unknown as GlpkSolver),
    files,
    calibration,
    heldOut,
    settings,
    store,
    sessionOptions: threads ? { intraOpNumThreads: Number(threads) } : undefined,
    onProgress: log,
  });
  const elapsedS = (Date.now() - started) / 1000;
  const targets = checkTargets(result.rows);
  const first = result.analyses[0].results;
  const probesRun = result.analyses.reduce((sum, a) => sum + a.stats.probesRun, 0);
  const probesReused = result.analyses.reduce((sum, a) => sum + a.stats.probesReused, 0);
  const prompts = heldOut.byKind.point.reduce((sum, item) => sum + item.prompts.length, 0) * 2;
  const settingsText = [
    `model: ${files.config ? 'demo-sam' : 'given files'}; ${first.units.length} units quantized, ${first.excludedUnits.length} kept FP (PTQ4SAM's exclusions)`,
    `calibration: T = ${calibrationImages} scenes (seeds ${CALIBRATION_FIRST_SEED}…), ≤ ${settings.analysis.promptsPerImage} box prompts each; activation ranges: ${
      settings.analysis.perWidthRanges ? 'per width, least squared error between the mean of per-image min/max and the extremes' : 'mean of per-image min/max'
    }; log2 τ: ${settings.analysis.perWidthLog2Tau ? 'per width among 1, 2, … 2^(b−1)' : 'at 4 bits among 1, 2, 4'}`,
    `analysis: exact σ at widths ${bits.join(', ')} (wider widths extrapolated with σ ∝ 4^(−b)); λ = ${settings.objective.lambda} (${lambdaScale}); one analysis (and allocation) per softmax·v quantizer`,
    `held-out: ${heldOut.seeds.length} scenes (seeds ${HELD_OUT_FIRST_SEED}…), ${heldOut.objects} objects, ${prompts} prompts (one deepest positive point and one box per object)`,
    `weights per output channel (${weightRange} range), activations per tensor; all quantization is fake quant on onnxruntime-node, every quantized unit honest (no drop_prob)`,
    ...(migrated ? [migrated] : []),
    `weight rounding: ${roundings.join(' and ')}${
      result.gptq
        ? ` (GPTQ: Hessians from the ${calibrationImages} calibration scenes with FP inputs, dampening 0.01, block 128, natural column order; ${result.gptq.units.length} units rounded, ${result.gptq.nearest.length} kept nearest; allocations from σ measured with nearest rounding; ${(result.timings.gptqMs / 1000).toFixed(0)} s)`
        : ''
    }`,
    ...(biasCorrectionFlag === 'off'
      ? []
      : [
          `bias correction: ${biasCorrection.map((on) => (on ? 'on' : 'off')).join(' and ')} (b − δ per unit and width, δ = W_q·E[Q_a(x)] − W·E[x] from per-channel input means over the ${calibrationImages} calibration scenes with FP inputs, Conv taps with the channel mean; ${((result.timings.biasStatsMs ?? 0) / 1000).toFixed(0)} s)`,
        ]),
    `time: GPTQ ${(result.timings.gptqMs / 1000).toFixed(0)} s, analysis ${(result.timings.analysisMs / 1000).toFixed(0)} s (${probesRun} probes run, ${probesReused} cached), allocation ${(result.timings.allocationMs / 1000).toFixed(1)} s, evaluation ${(result.timings.evaluationMs / 1000).toFixed(0)} s, total ${elapsedS.toFixed(0)} s`,
  ];
  const markdown = `${settingsText.map((line) => `- ${line}`).join('\n')}\n\n${markdownTable(result.rows)}\n\nTargets:\n${markdownTargets(targets)}\n`;
  console.log(markdown);

  const out = args.get('out') ?? 'bench/results/quality';
  await mkdir(dirname(out), { recursive: true });
  await writeFile(`${out}.md`, `# Quality study (npm run bench:quality)\n\n${markdown}`);
  const title = 'Quality study: mixed precision vs uniform quantization at equal budgets';
  await writeFile(`${out}.html`, renderStudyHtml({ title, createdAt: `${new Date().toISOString()} · npm run bench:quality`, settings: settingsText, rows: result.rows, targets }));
  // Per-unit widths of every mixed model, by analysis (σ differs between the softmax·v quantizers).
  const allocations = result.analyses.map((analysis) => ({
    log2PostSoftmax: analysis.log2PostSoftmax,
    units: analysis.results.units.map((unit) => unit.id),
    models: analysis.models.filter((model) => model.kind === 'mixed').map((model) => ({ id: model.id, bits: model.bits })),
  }));
  const json = { settings, migration, big: args.get('big') === 'on', heldOut: { seeds: heldOut.seeds, objects: heldOut.objects, prompts }, rows: result.rows, allocations, targets, timings: result.timings, gptq: result.gptq, elapsedS };
  await writeFile(`${out}.json`, `${JSON.stringify(json, null, 1)}\n`);
  log(`written ${out}.md, ${out}.html and ${out}.json`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
