/**
 * Evaluation from the command line, on the studio's own path (core/evaluate, core/study/heldOutScores):
 * the model quantized as the analysis calibrated it, FP against the best uniform width within the budgets
 * and the mixed allocation of `npm run solve`, on the given images or the quality study's held-out scenes.
 * Prints the Evaluate table and writes it as JSON.
 *
 *   npm run eval -- --model DIR --allocation allocation.json (--images a.jpg b.png … | --held-out N)
 *                   [--analysis results.json] [--prompts N] [--min-miou X] [--threads N] [--out FILE.json] [--quiet]
 *
 * The analysis file is the one the allocation names (relative to the allocation's folder) unless --analysis
 * gives it. --min-miou fails (exit 1) when the mixed model's mIoU is below X: against the true objects on the
 * held-out set, against full precision on the user's images. Exit 1 for wrong input, 2 for a wrong command line.
 */
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { prepareSam } from '../src/core/analysis/analysisModel';
import { modelHash } from '../src/core/analysis/analysisKeys';
import { resultsFileMismatches } from '../src/core/analysis/resultsFile';
import { evaluatePlans, type EvaluationProgress } from '../src/core/evaluate/evaluateRun';
import { evaluationItems } from '../src/core/evaluate/evaluationItems';
import { evaluationPlans } from '../src/core/evaluate/evaluationPlans';
import { allocationWidths, buildSamParametric, graphsOfScope, QuantizedSam, type SamRunner } from '../src/core/evaluate/quantizedSam';
import { ProfiledSam } from '../src/core/evaluate/profiledSam';
import { EXPORT_PROFILE_CHOICES, EXPORT_PROFILES, type ExportProfile } from '../src/core/quant/profiles';
import type { OrtModule } from '../src/core/onnx/ort';
import { scoreHeldOut } from '../src/core/study/heldOutScores';
import { heldOutSet } from '../src/core/study/scenes';
import { buildAllocationProblem } from '../src/state/budgetProblem';
import { parseAllocationFile } from './allocationFile';
import { imageFromFile, loadModelFiles } from './analyzeInputs';
import { InputError, logLine, numberFlag, parseArgs, readAnalysisFile, readJsonFile, required, runCommand, single, writeJsonFile } from './cliCommon';
import { formatEvaluationTable, rowsOfHeldOut, rowsOfImages, type EvaluationRow } from './evalTable';

const usage = `usage: npm run eval -- --model DIR --allocation FILE.json (--images a.jpg b.png … | --held-out N)
       [--analysis RESULTS.json] [--prompts N] [--profile exact|fast-cpu|fast-webgpu] [--min-miou X] [--threads N] [--out FILE.json] [--quiet]

--profile runs the quantized rows as that export profile's files run under onnxruntime-node's default
options (npm run export writes the same files); exact (the default) runs the simulation, equal to the exact file.`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), usage, ['quiet', 'help']);
  if (args.flags.has('help')) return console.log(usage);
  const log = logLine('eval', args.flags.has('quiet'));
  const modelDir = required(args, 'model', usage);
  const allocationPath = required(args, 'allocation', usage);
  const imagePaths = args.values.get('images');
  const heldOut = numberFlag(args, 'held-out', null, { integer: true, min: 1 });
  if ((imagePaths === undefined) === (heldOut === null)) throw new InputError(`Give either --images or --held-out N.\n${usage}`, 2);
  const minMiou = numberFlag(args, 'min-miou', null, { min: 0 });
  const threads = numberFlag(args, 'threads', null, { integer: true, min: 1 });
  const out = single(args, 'out') ?? 'artifacts/analysis/evaluation.json';
  const profile = (single(args, 'profile') ?? 'exact') as ExportProfile;
  if (!EXPORT_PROFILES.includes(profile)) throw new InputError(`--profile must be ${EXPORT_PROFILE_CHOICES}, got "${profile}"\n${usage}`, 2);

  let allocationFile;
  try {
    allocationFile = parseAllocationFile(await readJsonFile(allocationPath, 'allocation file'));
  } catch (error) {
    throw error instanceof InputError ? error : new InputError(`${allocationPath}: ${(error as Error).message}`);
  }
  const analysisPath = single(args, 'analysis') ?? resolve(dirname(allocationPath), allocationFile.analysis.file);
  log(`reading ${analysisPath} and the model in ${modelDir}`);
  const analysis = await readAnalysisFile(analysisPath);
  const { results } = analysis;
  if (results.runKey !== allocationFile.analysis.runKey) {
    throw new InputError(`${analysisPath} is not the analysis ${allocationPath} was solved from (run ${allocationFile.analysis.runKey}): give that one with --analysis.`);
  }
  let files;
  try {
    files = await loadModelFiles({ dir: modelDir });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const hash = await modelHash(files.encoder, files.decoder);
  const mismatches = resultsFileMismatches(analysis, { modelHash: hash, modelConfig: files.config ?? {} });
  if (mismatches.length > 0) throw new InputError(`The model in ${modelDir} is not the one ${analysisPath} analysed:\n${mismatches.map((text) => `  - ${text}`).join('\n')}`);
  if (!analysis.calibration) throw new InputError(`${analysisPath} holds no calibration (written by an older npm run analyze): analyse again to get one.`);

  const sam = prepareSam(files);
  const known = new Set([...sam.probedUnits, ...sam.excludedUnits].map((unit) => unit.id));
  const mixed = allocationFile.widthByUnit!;
  const unknown = Object.keys(mixed).filter((id) => !known.has(id));
  if (unknown.length > 0) throw new InputError(`${allocationPath} sets ${unknown.length} units this model does not have (first: ${unknown[0]}).`);
  const built = buildAllocationProblem(results, allocationFile.budget, {});
  const { plans, uniformMissing } = evaluationPlans({
    problem: built.problem,
    unitIds: built.unitIds,
    mixed,
    paramsById: new Map(results.units.map((unit) => [unit.id, unit.params])),
  });
  if (uniformMissing) log(uniformMissing);
  const widths = [...new Set(plans.flatMap((plan) => allocationWidths(plan.allocation)))];
  log(`building the quantized sessions (widths ${widths.join(', ')})`);
  const ortModule = ort as unknown as OrtModule;
  const sessionOptions = threads ? { intraOpNumThreads: threads } : {};
  const simulation = await QuantizedSam.create(ortModule, sam, buildSamParametric(sam, analysis.calibration, widths.length > 0 ? widths : [8], { graphs: graphsOfScope(results.settings.scope) }), sessionOptions);
  const fpFileBytes = { encoder: files.encoder.byteLength, decoder: files.decoder.byteLength };
  const runner: SamRunner = profile === 'exact' ? simulation : new ProfiledSam(simulation, profile, { sessionOptions, fpFileBytes, onWrite: () => log(`writing the ${profile} files of an allocation`) });
  log(`quantized rows run as ${profile === 'exact' ? 'the simulation (≡ the exact file)' : `the ${profile} files (onnxruntime-node, default options)`}`);
  const onProgress = (progress: EvaluationProgress) => log(`${progress.done}/${progress.total} · ${progress.label}`);
  let rows: EvaluationRow[];
  let details: unknown;
  try {
    if (heldOut !== null) {
      const scores = await scoreHeldOut(runner, heldOutSet({ minObjects: heldOut }), plans, { onProgress });
      rows = rowsOfHeldOut(scores);
      details = { target: 'heldOut', objects: scores.objects, seeds: scores.seeds, elapsedMs: scores.elapsedMs };
    } else {
      const sources = await Promise.all(imagePaths!.map(async (path) => {
        try {
          return await imageFromFile(path);
        } catch (error) {
          throw new InputError(`Cannot read the image ${path}: ${(error as Error).message}`);
        }
      }));
      const prompts = numberFlag(args, 'prompts', results.settings.promptsPerImage, { integer: true, min: 1 })!;
      const items = evaluationItems(sources, prompts, results.settings.gridSize);
      const result = await evaluatePlans(runner, items, plans, { onProgress });
      rows = rowsOfImages(result);
      details = { target: 'images', images: sources.map((source) => source.name), prompts: result.prompts, promptsWithTruth: result.promptsWithTruth, elapsedMs: result.elapsedMs };
    }
  } finally {
    if (runner instanceof ProfiledSam) await runner.release();
    await simulation.release();
  }
  console.log(formatEvaluationTable(rows));
  await writeJsonFile(out, { format: 'mix-qsam-evaluation', version: 1, modelHash: hash, runKey: results.runKey, allocation: allocationPath, profile, rows, ...(details as object), uniformMissing });
  console.log(`Evaluation written to ${out}`);
  if (minMiou !== null) {
    const row = rows.find((r) => r.id === 'mixed')!;
    const [value, what] = heldOut !== null && row.miouTruth !== null ? [row.miouTruth, 'against the true objects'] : [row.miouFp, 'against full precision'];
    if (value < minMiou) throw new InputError(`The mixed model's mIoU ${what} is ${value.toFixed(3)}, below the floor ${minMiou}.`);
    console.log(`The mixed model's mIoU ${what} is ${value.toFixed(3)}, at or above the floor ${minMiou}.`);
  }
}

runCommand(main);
