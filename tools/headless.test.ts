/**
 * The headless pipeline end to end on the demo model, each command its own process: analyze (decoder-only,
 * 1 image, 2 prompts, fast σ) → solve → eval. The solve's allocation meets its budgets and is the one the
 * core solver gives in-process; eval prints and writes the Evaluate table; bad input fails with a message.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import GLPK from 'glpk.js/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { glpkEngine, solveExact, solveInstant, type GlpkSolver } from '../src/core/allocate';
import { parseResultsFile, type AnalysisResultsFile } from '../src/core/analysis/resultsFile';
import { allocationByUnit, buildAllocationProblem, defaultBudgetSettings } from '../src/state/budgetProblem';
import { parseAllocationFile } from './allocationFile';
import { runTool } from './runTool';

let dir = '';
let analysisPath = '';
let analysis: AnalysisResultsFile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headless-demo-'));
  analysisPath = join(dir, 'results.json');
  const run = await runTool('analyze.ts', ['--scope', 'decoder', '--images', '1', '--prompts', '2', '--mode', 'fast', '--out', analysisPath, '--top', '1']);
  expect(run.code, run.stderr).toBe(0);
  // Progress lines for a log file: one per phase and 10 % step, none of them a terminal redraw.
  expect(run.stderr).toContain('[analyze] probing');
  expect(run.stderr).not.toContain('\r');
  analysis = parseResultsFile(JSON.parse(await readFile(analysisPath, 'utf8')));
}, 90_000);

describe('npm run analyze → solve → eval on the demo model', () => {
  it('writes a results file with its calibration and the model config of model.json', () => {
    expect(analysis.results.complete).toBe(true);
    expect(analysis.results.settings.scope).toBe('decoder');
    expect(analysis.results.units.every((unit) => unit.graph === 'decoder')).toBe(true);
    expect(Object.keys(analysis.calibration!.ranges).length).toBeGreaterThan(0);
    expect(analysis.modelConfig.inputSize).toBe(256);
  });

  it('solves at 4 bits within both budgets, the allocation the core gives in-process', async () => {
    const out = join(dir, 'allocation.json');
    const run = await runTool('solve.ts', ['--analysis', analysisPath, '--size-bits', '4', '--bops-bits', '4', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`[solve] ${analysis.results.units.length} units, widths 2, 3, 4, 5, 6; solving (instant)`);
    const file = parseAllocationFile(JSON.parse(await readFile(out, 'utf8')));
    const built = buildAllocationProblem(analysis.results, { ...defaultBudgetSettings, sizeAverageBits: 4, bopsAverageBits: 4 }, {});
    const inProcess = solveInstant(built.problem);
    expect(file.widthByUnit).toEqual(allocationByUnit(built.unitIds, inProcess.bits!, [], analysis.results.excludedUnits.map((unit) => unit.id)));
    // The budgets, recomputed here from the units' parameters and MACs.
    const params = analysis.results.units.reduce((sum, unit) => sum + unit.params, 0);
    const macs = analysis.results.units.reduce((sum, unit) => sum + (unit.macs ?? 0), 0);
    const sizeBits = analysis.results.units.reduce((sum, unit) => sum + unit.params * file.widthByUnit![unit.id]!, 0);
    const bops = analysis.results.units.reduce((sum, unit) => sum + (unit.macs ?? 0) * file.widthByUnit![unit.id]! ** 2, 0);
    expect(file.certificate.size).toMatchObject({ used: sizeBits, allowed: params * 4, meets: true });
    expect(file.certificate.bops).toMatchObject({ used: bops, allowed: macs * 16, meets: true });
    expect(sizeBits).toBeLessThanOrEqual(params * 4);
    expect(file.certificate.status).toBe(inProcess.status);
    expect(file.certificate.objective).toBe(inProcess.objective);
    expect(run.stdout).toContain(`size: ${sizeBits.toExponential(4)} of ${(params * 4).toExponential(4)} bits allowed`);
  });

  it('solves exactly with glpk.js: optimal, the in-process exact optimum, no worse than the instant answer', async () => {
    const out = join(dir, 'allocation-exact.json');
    const run = await runTool('solve.ts', ['--analysis', analysisPath, '--size-bits', '3.5', '--bops-bits', 'off', '--objective', 'sensitivity', '--exact', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const file = parseAllocationFile(JSON.parse(await readFile(out, 'utf8')));
    const built = buildAllocationProblem(analysis.results, { ...defaultBudgetSettings, sizeAverageBits: 3.5, bopsEnabled: false }, {});
    const exact = await solveExact(built.problem, glpkEngine((await GLPK()) as unknown as GlpkSolver));
    expect(file.certificate).toMatchObject({ method: 'exact', status: 'optimal', gap: 0, bops: null });
    expect(file.certificate.objective).toBeCloseTo(exact.objective!, 12);
    expect(file.certificate.objective!).toBeLessThanOrEqual(solveInstant(built.problem).objective! + 1e-15);
    expect(file.certificate.size!.used).toBeLessThanOrEqual(file.certificate.size!.allowed);
  });

  it('budgets what the file stores with --size-counting stored: the stored size then meets the budget', async () => {
    const out = join(dir, 'allocation-stored.json');
    const run = await runTool('solve.ts', ['--analysis', analysisPath, '--size-bits', '4.5', '--bops-bits', 'off', '--size-counting', 'stored', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const file = parseAllocationFile(JSON.parse(await readFile(out, 'utf8')));
    const params = analysis.results.units.reduce((sum, unit) => sum + unit.params, 0);
    // Containers recomputed here: 2–4 bits in INT4, 5–8 in INT8.
    const stored = analysis.results.units.reduce((sum, unit) => sum + unit.params * (file.widthByUnit![unit.id]! <= 4 ? 4 : 8), 0);
    expect(stored).toBeLessThanOrEqual(params * 4.5);
    expect(run.stdout).toContain(`the file stores ${(stored / params).toFixed(3)} bits per weight (INT4 / INT8)`);
    const bad = await runTool('solve.ts', ['--analysis', analysisPath, '--size-counting', 'packed']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--size-counting must be ideal or stored, got "packed"');
  });

  it('evaluates FP, uniform and mixed on the held-out scenes and writes the table', async () => {
    const out = join(dir, 'evaluation.json');
    const run = await runTool('eval.ts', ['--model', 'public/models/demo-sam', '--allocation', join(dir, 'allocation.json'), '--held-out', '6', '--out', out, '--min-miou', '0.3']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('[eval] building the quantized sessions');
    const evaluation = JSON.parse(await readFile(out, 'utf8')) as { rows: { id: string; label: string; miouTruth: number; miouFp: number }[]; objects: number };
    expect(evaluation.rows.map((row) => row.id)).toEqual(['fp', 'uniform', 'mixed']);
    expect(evaluation.objects).toBeGreaterThanOrEqual(6);
    const [fp, uniform, mixed] = evaluation.rows;
    expect(fp.miouFp).toBe(1);
    // The trained demo model segments the held-out shapes (0.84 point / 0.89 box on 240 objects).
    expect(fp.miouTruth).toBeGreaterThan(0.7);
    for (const row of [uniform, mixed]) {
      expect(row.miouFp).toBeGreaterThan(0.5);
      expect(row.miouFp).toBeLessThan(1);
    }
    for (const row of evaluation.rows) expect(run.stdout).toContain(`| ${row.label}`);
    expect(run.stdout).toMatch(new RegExp(`\\| ${mixed.label.replace(/[().]/g, '\\$&')} +\\| .* ${mixed.miouTruth.toFixed(3)} \\| +${mixed.miouFp.toFixed(3)} \\|`));
    expect(run.stdout).toContain('at or above the floor 0.3');
  });

  it('evaluates the rows as a fast profile’s files: FP unchanged, the quantized rows those of the files', async () => {
    const run = async (profile: string) => {
      const out = join(dir, `evaluation-${profile}.json`);
      const done = await runTool('eval.ts', ['--model', 'public/models/demo-sam', '--allocation', join(dir, 'allocation.json'), '--held-out', '4', '--profile', profile, '--out', out]);
      expect(done.code, done.stderr).toBe(0);
      return { stderr: done.stderr, file: JSON.parse(await readFile(out, 'utf8')) as { profile: string; rows: { id: string; miouFp: number; miouTruth: number }[] } };
    };
    const exact = await run('exact');
    const fast = await run('fast-cpu');
    expect(exact.file.profile).toBe('exact');
    expect(fast.file.profile).toBe('fast-cpu');
    expect(fast.stderr).toContain('[eval] quantized rows run as the fast-cpu files (onnxruntime-node, default options)');
    // Uniform and mixed: one file pair each (the ProfiledSam keeps both open).
    expect(fast.stderr.match(/writing the fast-cpu files of an allocation/g)).toHaveLength(2);
    expect(fast.file.rows[0]).toEqual(exact.file.rows[0]);
    const mixed = (file: typeof exact.file) => file.rows.find((row) => row.id === 'mixed')!;
    console.info(`held-out mixed row: simulation ${JSON.stringify(mixed(exact.file))}, fast-cpu files ${JSON.stringify(mixed(fast.file))}`);
    expect(mixed(fast.file).miouFp).not.toBe(mixed(exact.file).miouFp);
    const bad = await runTool('eval.ts', ['--model', 'public/models/demo-sam', '--allocation', join(dir, 'allocation.json'), '--held-out', '4', '--profile', 'fastest']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--profile must be exact, fast-cpu or fast-webgpu, got "fastest"');
  });

  it('exports what solve wrote: the decoder units it quantized, as a file smaller than the FP decoder', async () => {
    const solved = parseAllocationFile(JSON.parse(await readFile(join(dir, 'allocation.json'), 'utf8')));
    const quantized = Object.values(solved.widthByUnit!).filter((bits) => bits !== null).length;
    const out = join(dir, 'exported');
    const run = await runTool('export.ts', ['--model', 'public/models/demo-sam', '--allocation', join(dir, 'allocation.json'), '--out', out, '--profile', 'fast-cpu', '--calibration-images', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`fast-cpu export of ${quantized} units`);
    const [decoder, fpDecoder] = await Promise.all([readFile(join(out, 'decoder.onnx')), readFile('public/models/demo-sam/decoder.onnx')]);
    expect(decoder.byteLength).toBeLessThan(fpDecoder.byteLength);
  }, 240_000);

  it('fails with a message and exit code 1 on bad input', async () => {
    const missing = await runTool('solve.ts', ['--analysis', join(dir, 'nothing.json')]);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain(`The analysis results file ${join(dir, 'nothing.json')} does not exist.`);

    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"results": {');
    const notJson = await runTool('solve.ts', ['--analysis', broken]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain(`The analysis results file ${broken} is not valid JSON`);

    const wrongJson = await runTool('solve.ts', ['--analysis', 'public/models/demo-sam/model.json']);
    expect(wrongJson.code).toBe(1);
    expect(wrongJson.stderr).toContain('public/models/demo-sam/model.json: This is not an analysis results file of npm run analyze: it has no "results".');
    const allocationGiven = await runTool('solve.ts', ['--analysis', join(dir, 'allocation.json')]);
    expect(allocationGiven.code).toBe(1);
    expect(allocationGiven.stderr).toContain('This is not an analysis results file of npm run analyze: it is a mix-qsam-allocation file.');

    const tooSmall = await runTool('solve.ts', ['--analysis', analysisPath, '--size-bits', '1', '--out', join(dir, 'none.json')]);
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.stderr).toContain('No allocation fits: the size budget');

    const usage = await runTool('solve.ts', ['--analysis', analysisPath, '--objective', 'speed']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--objective must be sensitivity or paper, got "speed"');

    const noImages = await runTool('eval.ts', ['--model', 'public/models/demo-sam', '--allocation', join(dir, 'allocation.json')]);
    expect(noImages.code).toBe(2);
    expect(noImages.stderr).toContain('Give either --images or --held-out N.');
  });
});
