/**
 * Bit allocation from the command line, on the studio's own path (budgetProblem.ts → core/allocate): reads an
 * analysis results file of `npm run analyze`, solves at the given budgets and writes the allocation with its
 * certificate (allocationFile.ts).
 *
 *   npm run solve -- --analysis results.json --size-bits 4 --bops-bits 4 [--objective sensitivity|paper] [--exact]
 *                    [--preset W4A4|W5A5|W6A6 | --candidates 2-8] [--lambda 0.01] [--lambda-scale objective|raw]
 *                    [--lower-bounds] [--time-limit 60] [--out allocation.json] [--quiet]
 *
 * Exit code 0 when an allocation meets the budgets, 1 when none fits or an input is wrong, 2 for a wrong
 * command line.
 */
import { dirname, relative, resolve } from 'node:path';
import GLPK from 'glpk.js/node';
import { CANDIDATE_PRESETS, glpkEngine, type CandidatePresetName, type GlpkSolver } from '../src/core/allocate';
import { buildAllocationProblem, defaultBudgetSettings, type BudgetSettings, type CandidatePreset, type ObjectiveMode } from '../src/state/budgetProblem';
import { ALLOCATION_FILE_FORMAT, certificateOf, solveAnalysis, type AllocationCertificate, type AllocationFile } from './allocationFile';
import { InputError, logLine, numberFlag, parseArgs, readAnalysisFile, required, runCommand, single, writeJsonFile } from './cliCommon';

const usage = `usage: npm run solve -- --analysis RESULTS.json [--size-bits B|off] [--bops-bits B|off] [--objective sensitivity|paper]
       [--exact] [--preset W4A4|W5A5|W6A6 | --candidates 2-8] [--lambda L] [--lambda-scale objective|raw]
       [--lower-bounds] [--size-counting ideal|stored] [--time-limit S] [--out FILE.json] [--quiet]`;

function budgetSettingsOf(args: ReturnType<typeof parseArgs>): BudgetSettings {
  const objective = single(args, 'objective') ?? defaultBudgetSettings.objectiveMode;
  if (objective !== 'sensitivity' && objective !== 'paper') throw new InputError(`--objective must be sensitivity or paper, got "${objective}"`, 2);
  const candidates = single(args, 'candidates');
  const presetText = single(args, 'preset');
  if (candidates !== undefined && presetText !== undefined) throw new InputError('Give --preset or --candidates, not both.', 2);
  let preset: CandidatePreset = defaultBudgetSettings.preset;
  if (presetText !== undefined) {
    if (!(presetText in CANDIDATE_PRESETS)) throw new InputError(`--preset must be one of ${Object.keys(CANDIDATE_PRESETS).join(', ')}, got "${presetText}"`, 2);
    preset = presetText as CandidatePresetName;
  }
  if (candidates !== undefined) preset = 'custom';
  const lambdaScale = single(args, 'lambda-scale') ?? defaultBudgetSettings.lambdaScale;
  if (lambdaScale !== 'objective' && lambdaScale !== 'raw') throw new InputError(`--lambda-scale must be objective or raw, got "${lambdaScale}"`, 2);
  const size = numberFlag(args, 'size-bits', defaultBudgetSettings.sizeAverageBits, { allowOff: true, min: 1 });
  const bops = numberFlag(args, 'bops-bits', defaultBudgetSettings.bopsAverageBits, { allowOff: true, min: 1 });
  const sizeCounting = single(args, 'size-counting') ?? defaultBudgetSettings.sizeCounting;
  if (sizeCounting !== 'ideal' && sizeCounting !== 'stored') throw new InputError(`--size-counting must be ideal or stored, got "${sizeCounting}"`, 2);
  return {
    ...defaultBudgetSettings,
    sizeEnabled: size !== null,
    sizeAverageBits: size ?? defaultBudgetSettings.sizeAverageBits,
    bopsEnabled: bops !== null,
    bopsAverageBits: bops ?? defaultBudgetSettings.bopsAverageBits,
    objectiveMode: objective as ObjectiveMode,
    preset,
    customCandidates: candidates ?? defaultBudgetSettings.customCandidates,
    lambda: numberFlag(args, 'lambda', defaultBudgetSettings.lambda, { min: 0 })!,
    lambdaScale,
    lowerBounds: args.flags.has('lower-bounds'),
    sizeCounting,
  };
}

function describe(certificate: AllocationCertificate): string[] {
  const lines = [
    `status ${certificate.status} (${certificate.method}); objective ${certificate.objective?.toExponential(4) ?? '—'}, ` +
      `bound ${certificate.bound?.toExponential(4) ?? '—'}, gap ${certificate.gap === null ? '—' : `${(100 * certificate.gap).toFixed(3)} %`}`,
  ];
  const budgetLine = (name: string, budget: AllocationCertificate['size'], unit: string) =>
    budget && lines.push(`${name}: ${budget.used.toExponential(4)} of ${budget.allowed.toExponential(4)} ${unit} allowed (${(100 * budget.fraction).toFixed(2)} %)${budget.meets ? '' : ' — OVER BUDGET'}`);
  budgetLine('size', certificate.size, 'bits');
  budgetLine('BOPs', certificate.bops, 'bit operations');
  if (certificate.averageBits !== null) {
    lines.push(`average weight width ${certificate.averageBits.toFixed(3)} bits; the file stores ${certificate.storedAverageBits!.toFixed(3)} bits per weight (INT4 / INT8)`);
  }
  return lines;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), usage, ['exact', 'lower-bounds', 'quiet', 'help']);
  if (args.flags.has('help')) return console.log(usage);
  const log = logLine('solve', args.flags.has('quiet'));
  const analysisPath = required(args, 'analysis', usage);
  const budget = budgetSettingsOf(args);
  const exact = args.flags.has('exact');
  const timeLimitS = numberFlag(args, 'time-limit', 60, { min: 1 })!;
  const out = single(args, 'out') ?? 'artifacts/analysis/allocation.json';

  log(`reading ${analysisPath}`);
  const { results } = await readAnalysisFile(analysisPath);
  log(`${results.units.length} units, widths ${results.candidateBits.join(', ')}; solving (${exact ? `exact MILP, glpk.js, time limit ${timeLimitS} s` : 'instant'})`);
  let built;
  try {
    built = buildAllocationProblem(results, budget, {});
  } catch (error) {
    // Its sentences (unfinished analysis, bad candidate list) are input errors.
    throw new InputError(`${analysisPath}: ${(error as Error).message}`);
  }
  const { result, widthByUnit } = exact ? await solveAnalysis(results, built, { exact: true, engine: glpkEngine((await GLPK()) as unknown as GlpkSolver), timeLimitS }) : await solveAnalysis(results, built, { exact: false });
  const certificate = certificateOf(built, result);
  const file: AllocationFile = {
    format: ALLOCATION_FILE_FORMAT,
    version: 1,
    analysis: { file: relative(dirname(resolve(out)), resolve(analysisPath)), runKey: results.runKey, modelHash: results.modelHash },
    budget,
    certificate,
    widthByUnit,
    elapsedMs: result.elapsedMs,
  };
  await writeJsonFile(out, file);
  for (const line of describe(certificate)) console.log(line);
  console.log(`Allocation written to ${out}`);
  if (!widthByUnit) throw new InputError(certificate.reason ?? 'No allocation fits: the budgets cannot be met with these candidate widths.');
}

runCommand(main);
