/**
 * The headless pipeline on a SAM the project did not make: MobileSAM exported by its authors' code with random
 * weights (../shared/fixtures/mobilesam-random, no model.json, decoder batch fixed at 1). Decoder-only analysis
 * with 1 image, 1 prompt and σ measured at 4 bits (the full analysis takes far longer than a test may), then
 * solve and eval on a real photo. Measured here: 150 s in all on a loaded 2-core machine (analyze 52 s of CPU),
 * hence the timeout.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { solveInstant } from '../src/core/allocate';
import { parseResultsFile } from '../src/core/analysis/resultsFile';
import { allocationByUnit, buildAllocationProblem, defaultBudgetSettings } from '../src/state/budgetProblem';
import { parseAllocationFile } from './allocationFile';
import { runTool } from './runTool';

const fixture = fileURLToPath(new URL('../../shared/fixtures/mobilesam-random/', import.meta.url));
const dog = fileURLToPath(new URL('../../shared/data/images/dog.jpg', import.meta.url));
const present = existsSync(`${fixture}encoder.onnx`) && existsSync(`${fixture}decoder.onnx`);

describe.skipIf(!present)('npm run analyze → solve → eval on MobileSAM (authors’ export, random weights)', () => {
  const dirs = mkdtemp(join(tmpdir(), 'headless-mobilesam-'));

  it('analyses its decoder, solves at 4 bits as the core does, evaluates, and refuses another model’s allocation', { timeout: 400_000 }, async () => {
    const dir = await dirs;
    const results = join(dir, 'results.json');
    const analyze = await runTool('analyze.ts', ['--model', fixture, '--scope', 'decoder', '--images', '1', '--prompts', '1', '--mode', 'fast', '--fast-bits', '4', '--out', results, '--top', '1']);
    expect(analyze.code, analyze.stderr).toBe(0);
    const analysis = parseResultsFile(JSON.parse(await readFile(results, 'utf8')));
    expect(analysis.results.complete).toBe(true);
    expect(analysis.modelConfig).toEqual({});
    // MobileSAM's decoder is Meta's: 46 units, 2 probes each (zero-ablation, W4A4) on 1 image.
    expect(analysis.results.units).toHaveLength(46);
    expect(analysis.stats!.probesRun).toBe(92);

    const allocation = join(dir, 'allocation.json');
    const solve = await runTool('solve.ts', ['--analysis', results, '--size-bits', '4', '--bops-bits', '4', '--out', allocation]);
    expect(solve.code, solve.stderr).toBe(0);
    const file = parseAllocationFile(JSON.parse(await readFile(allocation, 'utf8')));
    const built = buildAllocationProblem(analysis.results, { ...defaultBudgetSettings, sizeAverageBits: 4, bopsAverageBits: 4 }, {});
    const inProcess = solveInstant(built.problem);
    expect(file.widthByUnit).toEqual(allocationByUnit(built.unitIds, inProcess.bits!, [], analysis.results.excludedUnits.map((unit) => unit.id)));
    expect(file.certificate.size!.meets && file.certificate.bops!.meets).toBe(true);
    expect(file.certificate.size!.used).toBeLessThanOrEqual(file.certificate.size!.allowed);

    const out = join(dir, 'evaluation.json');
    const evaluate = await runTool('eval.ts', ['--model', fixture, '--allocation', allocation, '--images', dog, '--prompts', '2', '--out', out]);
    expect(evaluate.code, evaluate.stderr).toBe(0);
    const evaluation = JSON.parse(await readFile(out, 'utf8')) as { rows: { id: string; miouTruth: number | null; miouFp: number }[]; prompts: number; images: string[] };
    expect(evaluation.images).toEqual(['dog.jpg']);
    expect(evaluation.prompts).toBe(2);
    expect(evaluation.rows.map((row) => row.id)).toEqual(['fp', 'uniform', 'mixed']);
    expect(evaluation.rows[0].miouFp).toBe(1);
    // A photo has no true objects: the truth column is empty, as in the studio for the user's own images.
    expect(evaluation.rows.every((row) => row.miouTruth === null)).toBe(true);
    expect(evaluate.stdout).toMatch(/\| FP32 +\| +— \| +1\.000 \|/);

    // A file that is no analysis, then results of another model (hash and config) beside MobileSAM's files.
    const demo = await runTool('eval.ts', ['--model', fixture, '--allocation', allocation, '--analysis', 'public/models/demo-sam/model.json', '--images', dog]);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain('This is not an analysis results file');
    const demoAnalysis = join(dir, 'other-model-results.json');
    const other = JSON.parse(await readFile(results, 'utf8'));
    other.results.modelHash = '0'.repeat(64);
    other.modelConfig = { maskThreshold: 0.5 };
    await writeFile(demoAnalysis, JSON.stringify(other));
    const mismatch = await runTool('eval.ts', ['--model', fixture, '--allocation', allocation, '--analysis', demoAnalysis, '--images', dog]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(`The model in ${fixture} is not the one ${demoAnalysis} analysed:`);
    expect(mismatch.stderr).toContain('It was measured on another model (content hash 000000000000…');
    expect(mismatch.stderr).toContain("Its mask threshold is 0.5; the loaded model's is 0.");
  });
});
