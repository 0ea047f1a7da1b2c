/**
 * Analysis results made by the CLI (npm run analyze on the demo model and a photo, decoder-only, 2 prompts, fast σ)
 * dropped into the studio: taken for the demo model, the budget panel solves them to the allocation npm run
 * solve --exact gives, and Evaluate on the held-out scenes scores what npm run eval scores (the CLI's
 * calibration travels in the file). The same file beside the demo's files read with another normalization is
 * refused, with the reason.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { runTool } from '../tools/runTool';
import { expect, test } from './fixtures';
import { dropFiles, openStudio } from './studioPage';

test.use({ viewport: { width: 1280, height: 800 } });
test.setTimeout(300_000);

const demo = new URL('../public/models/demo-sam/', import.meta.url);
// Analysed on a photo the page does not have: calibrating on the page's own images would give other ranges.
const photo = fileURLToPath(new URL('../../shared/data/images/dog.jpg', import.meta.url));
const shots = process.env.IMPORT_SHOTS ?? null;

interface Cli {
  resultsBytes: Uint8Array;
  widthByUnit: Record<string, number | null>;
  rows: { id: string; miouTruth: number; miouFp: number }[];
}

let cli: Promise<Cli> | null = null;

/** analyze → solve --exact → eval --held-out 6, each its own process, once for the file's tests. */
function runCli(): Promise<Cli> {
  cli ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'results-import-'));
    const results = join(dir, 'results.json');
    const steps: [string, string[]][] = [
      ['analyze.ts', ['--scope', 'decoder', '--images', '1', '--prompts', '2', '--mode', 'fast', '--image-files', photo, '--out', results, '--quiet']],
      ['solve.ts', ['--analysis', results, '--size-bits', '4', '--bops-bits', '4', '--exact', '--out', join(dir, 'allocation.json'), '--quiet']],
      ['eval.ts', ['--model', 'public/models/demo-sam', '--allocation', join(dir, 'allocation.json'), '--held-out', '6', '--out', join(dir, 'evaluation.json'), '--quiet']],
    ];
    for (const [script, args] of steps) {
      const run = await runTool(script, args);
      if (run.code !== 0) throw new Error(`${script} failed: ${run.stderr}`);
    }
    const allocation = JSON.parse(await readFile(join(dir, 'allocation.json'), 'utf8')) as { widthByUnit: Record<string, number | null> };
    const evaluation = JSON.parse(await readFile(join(dir, 'evaluation.json'), 'utf8')) as { rows: Cli['rows'] };
    return { resultsBytes: new Uint8Array(await readFile(results)), widthByUnit: allocation.widthByUnit, rows: evaluation.rows };
  })();
  return cli;
}

async function shot(page: Page, name: string): Promise<void> {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png` });
}

test('results from npm run analyze are taken for the demo model: the budget solves them, Evaluate scores as npm run eval', async ({ page }) => {
  const [made] = await Promise.all([runCli(), openStudio(page, 'wasm')]);
  await expect(page.getByTestId('solve-badge')).toHaveText('waiting for analysis');

  await dropFiles(page, [{ name: 'results.json', type: 'application/json', bytes: made.resultsBytes }]);
  await expect(page.getByTestId('toast').filter({ hasText: 'Analysis imported from results.json' })).toContainText('46 units measured on 1 image');
  const note = page.getByTestId('imported-results-note');
  await expect(note).toContainText('Imported from results.json (npm run analyze): 46 decoder units, 138 probes on 1 image (dog.jpg)');
  await expect(page.getByTestId('analysis-view')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('importance-chart')).toHaveAttribute('data-empty', 'false');

  // The budget panel solves the imported analysis live, then the exact MILP settles it: npm run solve --exact's allocation.
  const badge = page.getByTestId('solve-badge');
  await expect(badge).toHaveText('optimal', { timeout: 60_000 });
  await shot(page, 'imported');

  const evaluate = page.getByTestId('evaluate-view');
  await evaluate.scrollIntoViewIfNeeded();
  await evaluate.getByLabel('Evaluation set').selectOption('heldOut');
  await evaluate.getByLabel('Held-out objects').fill('6');
  await evaluate.getByLabel('Held-out objects').press('Enter');
  await evaluate.getByRole('button', { name: 'Evaluate' }).click();
  await expect(evaluate).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  const table = page.getByTestId('evaluate-table');
  await expect(table).toHaveAttribute('data-target', 'heldOut');
  const mixed = table.locator('tr[data-plan="mixed"]');
  expect(JSON.parse((await mixed.getAttribute('data-widths'))!)).toEqual(made.widthByUnit);
  await evaluate.scrollIntoViewIfNeeded();
  await shot(page, 'evaluated');
  // Same allocation, same calibration (from the file), same scenes: the page's WASM and onnxruntime-node agree.
  for (const row of made.rows) {
    const shown = table.locator(`tr[data-plan="${row.id}"]`);
    expect(Number(await shown.getAttribute('data-miou-fp'))).toBeCloseTo(row.miouFp, 2);
    expect(Number(await shown.getAttribute('data-miou-all'))).toBeCloseTo(row.miouTruth, 2);
  }
});

test('the same results beside the demo files read with another normalization are refused, with the reason', async ({ page }) => {
  const [made] = await Promise.all([runCli(), openStudio(page, 'wasm')]);
  const manifest = JSON.parse(await readFile(new URL('model.json', demo), 'utf8')) as Record<string, unknown>;
  const other = { ...manifest, name: 'demo-sam, raw pixels', mean: [0, 0, 0], std: [1, 1, 1] };
  await dropFiles(page, [
    { name: 'encoder.onnx', type: '', bytes: new Uint8Array(await readFile(new URL('encoder.onnx', demo))) },
    { name: 'decoder.onnx', type: '', bytes: new Uint8Array(await readFile(new URL('decoder.onnx', demo))) },
    { name: 'model.json', type: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(other)) },
  ]);
  await expect(page.getByTestId('model-card')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('model-card')).toContainText('raw pixels');

  await dropFiles(page, [{ name: 'results.json', type: 'application/json', bytes: made.resultsBytes }]);
  const refusal = page.getByTestId('toast').filter({ hasText: 'Cannot use results.json' });
  await expect(refusal).toContainText('These analysis results do not fit the loaded model.');
  await expect(refusal).toContainText("Its pixel normalization is mean 123.675, 116.28, 103.53, std 58.395, 57.12, 57.375; the loaded model's is mean 0, 0, 0, std 1, 1, 1.");
  await shot(page, 'refused');
  // Nothing of the file was taken.
  await expect(page.getByTestId('imported-results-note')).toHaveCount(0);
  await expect(page.getByTestId('solve-badge')).toHaveText('waiting for analysis');

  // A JSON file that is no results file at all says so.
  await dropFiles(page, [{ name: 'notes.json', type: 'application/json', bytes: new TextEncoder().encode('{"hello": 1}') }]);
  await expect(page.getByTestId('toast').filter({ hasText: 'Cannot use notes.json' })).toContainText('neither a model.json nor analysis results of npm run analyze');
});
