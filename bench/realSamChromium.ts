/**
 * The Chromium side of the real-SAM bench: the built studio in headless Chromium, used as a person uses
 * it — add the model files and a photo, segment once (the plain FP forward), set the analysis and press
 * Analyze, let the budget solve, press Download quantized model — while the tab's renderer process (the
 * page and its workers, where onnxruntime-web's memory lives) is measured per stage from /proc
 * (realSamMemory.ts). A stage the studio cannot finish is recorded with the page's own error message.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { descendants, mib, PeakMeter, statusBytes, watchRss, type Pid } from './realSamMemory';
import { PageMonitor, type PageSnapshot } from './realSamPage';
import { firstLine, formatMs, pipelineStages, plainStages, stageLabels, type RunReport, type StageKey, type StageRecord } from './realSamStages';
import { withStudioBrowser } from './studioBrowser';

/** The order of a session in the studio: the model is loaded before it is used plainly, then analysed. */
const sessionOrder: readonly StageKey[] = ['load', ...plainStages, ...pipelineStages.filter((stage) => stage !== 'load' && stage !== 'discovery')];

/** Ends the run early without a failure (the probe limit): later stages are "not reached". */
class StopRun extends Error {}

export interface ChromiumJob {
  dist: string;
  port: number;
  modelDir: string;
  imageFiles: string[];
  imageCount: number;
  prompts: number;
  mode: 'fast' | 'exact';
  scope: 'all' | 'decoder';
  probeLimit: number | null;
  threads: number;
  /** A stage fails when the page shows no change for this long. */
  stallMs: number;
  /** The tab is stopped (its renderer killed) when its RSS passes this. */
  maxRssBytes: number;
  /** Print the page's status changes as they happen. */
  verbose: boolean;
}

/** The tab's renderer processes (Chromium's renderers under this process: one per site, plus a spare). */
function rendererPids(): Pid[] {
  return descendants(process.pid)
    .filter((entry) => entry.kind === 'renderer')
    .map((entry) => entry.pid);
}

/** Stages timed by the bench's clock, with the renderer's peak RSS between begin and end. */
class TabStages {
  readonly records: StageRecord[] = [];
  private readonly meter = new PeakMeter(rendererPids);
  private open: { stage: StageKey; started: number; startBytes: number | null } | null = null;
  /** RSS of a renderer the bench stopped: its peak is gone with it. */
  private stoppedAtBytes: number | null = null;

  get cumulative(): boolean {
    return this.meter.cumulative;
  }

  stoppedAt(bytes: number): void {
    this.stoppedAtBytes = bytes;
  }

  begin(stage: StageKey, at = Date.now()): void {
    this.meter.begin();
    const current = [...this.meter.current().values()];
    this.open = { stage, started: at, startBytes: current.length > 0 ? Math.max(...current) : null };
  }

  end(detail: string, at = Date.now(), extra: Partial<StageRecord> = {}): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    const peaks = [...this.meter.peaks().values(), ...(this.stoppedAtBytes !== null ? [this.stoppedAtBytes] : [])];
    this.records.push({
      stage: open.stage,
      status: 'ok',
      wallMs: at - open.started,
      peakBytes: peaks.length > 0 ? Math.max(...peaks) : null,
      startBytes: open.startBytes,
      detail,
      ...extra,
    });
  }

  /** Ends the open stage as failed (a stage that was never begun is recorded with no time). */
  fail(stage: StageKey, error: unknown): void {
    const begun = this.open !== null;
    if (!begun) this.begin(stage);
    this.end('', Date.now(), { status: 'failed', error: firstLine(error), ...(begun ? {} : { wallMs: null }) });
  }

  get current(): StageKey | null {
    return this.open?.stage ?? null;
  }
}

const modelFilesIn = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.onnx') || name === 'model.json')
    .map((name) => join(dir, name));

/** A probe has been measured: the engine's probe labels read "Image t/T · unit · probe" (not its FP reference). */
const probing = (s: PageSnapshot) => s.progressDone >= 1 && /^Image \d+\/\d+ · /.test(s.progressLabel) && !/full-precision reference/.test(s.progressLabel);

async function clickStageCentre(page: Page): Promise<void> {
  const box = await page.locator('.stage').boundingBox();
  if (!box) throw new Error('no image on screen to click');
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

async function userSession(page: Page, origin: string, job: ChromiumJob, stages: TabStages, notes: string[]): Promise<void> {
  const monitor = await PageMonitor.attach(page, job.verbose);
  const stopWatching = watchRss(rendererPids, job.maxRssBytes, (pid, bytes) => {
    stages.stoppedAt(bytes);
    monitor.abort(`stopped by the bench at ${mib(bytes)} tab RSS (limit ${mib(job.maxRssBytes)}, --max-rss-gb)`);
    process.kill(pid as number, 'SIGKILL');
  });
  try {
    await userFlow(page, origin, job, stages, notes, monitor);
  } finally {
    stopWatching();
  }
}

async function userFlow(page: Page, origin: string, job: ChromiumJob, stages: TabStages, notes: string[], monitor: PageMonitor): Promise<void> {
  const stallMs = job.stallMs;
  await page.goto(`${origin}/?backend=wasm&threads=${job.threads}`);
  await monitor.waitFor('the studio with its demo model', (s) => s.modelStatus === 'ready' && s.encodeState === 'ready', { stallMs });
  notes.push(`backend: ${(await page.getByTestId('backend-badge').getAttribute('title')) ?? (await page.getByTestId('backend-badge').innerText())}`);

  // Load: the model's files through the model picker, as Add model files… does.
  let mark = monitor.mark();
  const loadFailed = (s: PageSnapshot) => monitor.errorsSince(mark) ?? (s.modelStatus === 'mismatch' || s.modelStatus === 'incomplete' ? s.modelMessage : null);
  stages.begin('load');
  await page.getByTestId('model-file-input').setInputFiles(modelFilesIn(job.modelDir));
  await monitor.waitFor('the model to start loading', (s) => s.modelStatus === 'loading', { failed: loadFailed, stallMs });
  let s = await monitor.waitFor('the model to load', (x) => x.modelStatus === 'ready', { failed: loadFailed, stallMs });
  stages.end('inference worker: read, detect format, encoder + decoder sessions', s.at);

  // The plain FP forward: the studio encodes the selected image with the new model, then a click decodes.
  stages.begin('plainEncoder', s.at);
  s = await monitor.waitFor('the first embedding', (x) => x.encodeState === 'ready' && x.modelStatus === 'ready' && x.at > s.at, {
    failed: (x) => monitor.errorsSince(mark) ?? (x.encodeState === 'error' ? 'the encoder failed' : null),
    stallMs,
  });
  stages.end(`studio's encoder ${monitor.timesSince(mark, 'encoder').map((ms) => formatMs(ms)).join(', ') || '—'} (selected image)`, s.at);
  mark = monitor.mark();
  stages.begin('plainDecoder');
  const decodes = s.decodeCount;
  await clickStageCentre(page);
  s = await monitor.waitFor('the mask of a click', (x) => x.decodeCount > decodes, { failed: () => monitor.errorsSince(mark), stallMs });
  stages.end(`one click, studio's decoder ${monitor.timesSince(mark, 'decoder').map((ms) => formatMs(ms)).join(', ') || '—'}`, s.at);

  // The photo, selected: the export is checked on the selected image. The analysis takes the first T images.
  mark = monitor.mark();
  await page.getByTestId('image-file-input').setInputFiles(job.imageFiles.slice(0, 1));
  const name = job.imageFiles[0].split(/[\\/]/).pop()!;
  const thumbnail = page.getByTestId('thumbnail').filter({ hasText: name });
  await thumbnail.waitFor({ timeout: stallMs });
  const started = Date.now();
  await thumbnail.click();
  s = await monitor.waitFor(`the embedding of ${name}`, (x) => x.encodeState === 'ready' && x.at > started, { failed: () => monitor.errorsSince(mark), stallMs });
  notes.push(`${name} added and selected (encoded in ${formatMs(s.at - started)}); the studio analyses its first T images: the sample scenes (with their boxes) come first`);

  const view = page.getByTestId('analysis-view');
  await view.getByLabel('Images to analyse').fill(String(job.imageCount));
  await view.getByLabel('Prompts per image').fill(String(job.prompts));
  await view.getByLabel('Sensitivity mode').selectOption(job.mode);
  // The studio sizes a user's model's settings itself (it may pick decoder only): the bench sets every one.
  const scope = view.getByLabel(/^(Units to probe|.*scope.*)$/i);
  if ((await scope.count()) > 0) await scope.selectOption(job.scope);
  else if (job.scope !== 'all') throw Object.assign(new Error('the studio has no analysis-scope control: --scope decoder cannot be set as a user'), { stage: 'analysisPrepare' });
  const widths = await view.getByRole('group', { name: 'Candidate widths' }).locator('input:checked').evaluateAll((inputs) => inputs.map((input) => input.parentElement?.textContent?.trim() ?? '?'));
  notes.push(
    `analysis settings as run: T ${await view.getByLabel('Images to analyse').inputValue()}, ${await view.getByLabel('Prompts per image').inputValue()} prompts, ` +
      `${await view.getByLabel('Sensitivity mode').inputValue()} σ, units ${(await scope.count()) > 0 ? await scope.inputValue() : 'all (no control)'}, widths ${widths.join(',')}`,
  );

  mark = monitor.mark();
  const analysisFailed = (x: PageSnapshot) => (x.analysisStatus === 'error' ? x.analysisError || monitor.errorsSince(mark) || 'the analysis stopped' : null);
  const clicked = Date.now();
  stages.begin('analysisPrepare', clicked);
  await view.getByRole('button', { name: 'Analyze' }).click();
  const after = (x: PageSnapshot) => x.at >= clicked && x.analysisStatus !== 'idle';
  s = await monitor.waitFor('calibration to start', (x) => after(x) && (/^Calibrating/.test(x.progressLabel) || probing(x) || x.analysisStatus === 'done'), { failed: analysisFailed, stallMs });
  stages.end('analysis worker up to its first calibration image: decode, detect, discover, hash, calibration sessions', s.at);
  stages.begin('calibration', s.at);
  s = await monitor.waitFor('calibration to end', (x) => x.calibrationStored || probing(x) || x.analysisStatus === 'done', { failed: analysisFailed, stallMs });
  stages.end(`${job.imageCount} image(s) × ≤${job.prompts} prompts`, s.at);
  stages.begin('firstProbe', s.at);
  s = await monitor.waitFor('the first probe', (x) => probing(x) || x.analysisStatus === 'done', { failed: analysisFailed, stallMs });
  stages.end('parametric graphs, probe sessions, FP reference, 1 probe', s.at);
  const first = s;
  stages.begin('probing', s.at);
  const limit = job.probeLimit;
  // Probing ends with the last probe: the complete results then go to the budget, which solves while the
  // worker releases its sessions.
  const lastProbe = (x: PageSnapshot) => x.analysisStatus === 'done' || (x.progressTotal > 0 && x.progressDone >= x.progressTotal);
  s = await monitor.waitFor('the analysis to finish', (x) => lastProbe(x) || (limit !== null && x.progressDone >= limit), { failed: analysisFailed, stallMs });
  const rate = s.progressDone > first.progressDone ? (s.progressDone - first.progressDone) / ((s.at - first.at) / 1000) : undefined;
  if (!lastProbe(s)) {
    stages.end(`${s.progressDone}/${s.progressTotal} probes (stopped at --probe-limit ${limit})`, s.at, { rate });
    await view.getByRole('button', { name: 'Cancel' }).click();
    throw new StopRun(`probing stopped after ${s.progressDone} probes (--probe-limit)`);
  }
  stages.end(`${s.progressDone}/${s.progressTotal} probes`, s.at, { rate });
  const probed = s;
  s = await monitor.waitFor('the analysis to end', (x) => x.analysisStatus === 'done', { failed: analysisFailed, stallMs });
  notes.push(`analysis done ${formatMs(s.at - probed.at)} after its last probe`);

  // Solve: the budget panel's instant answer at its default budget (W4A4, 4 bits size and BOPs).
  stages.begin('solve', probed.at);
  s = await monitor.waitFor('an allocation', (x) => x.allocationMethod !== '', {
    failed: (x) => (x.budgetPhase === 'error' || x.badgeTone === 'error' ? x.badgeText : null),
    stallMs,
  });
  stages.end(`${s.badgeText}; ${s.allocationText}`, s.at);

  // Export: quantized sessions (the quantization worker's prepare), the QDQ files, then the check.
  mark = monitor.mark();
  const exportFailed = (x: PageSnapshot) => (x.exportStatus === 'error' ? x.exportError || monitor.errorsSince(mark) || 'the export stopped' : null);
  const exportView = page.getByTestId('export-view');
  stages.begin('exportSessions');
  await exportView.getByRole('button', { name: 'Download quantized model' }).click();
  s = await monitor.waitFor('the export to write files', (x) => /^(Writing|Opening|Running)/.test(x.exportLabel) || x.exportStatus === 'done', { failed: exportFailed, stallMs });
  stages.end('quantization worker: model, calibration from the analysis, sessions 2..8 bits', s.at);
  stages.begin('exportWrite', s.at);
  s = await monitor.waitFor('the export check', (x) => /^(Opening|Running)/.test(x.exportLabel) || x.exportStatus === 'done', { failed: exportFailed, stallMs });
  stages.end('encoder + decoder QDQ', s.at);
  stages.begin('exportCheck', s.at);
  s = await monitor.waitFor('the export to finish', (x) => x.exportStatus === 'done', { failed: exportFailed, stallMs });
  const relative = Number(s.relativeError);
  if (!(relative <= 1e-3)) stages.end(s.verification, s.at, { status: 'failed', error: `export differs from the simulation: ${s.verification} (relative ${s.relativeError})` });
  else stages.end(`≡ ${s.verification} (relative ${relative.toExponential(1)})`, s.at);
}

/** Runs the studio on one model in Chromium; never throws: a failure is a failed stage in the report. */
export async function runChromium(job: ChromiumJob, modelName: string): Promise<RunReport> {
  const stages = new TabStages();
  const notes: string[] = [];
  if (!existsSync(join(job.dist, 'index.html'))) {
    stages.fail('load', new Error(`no studio build in ${job.dist}: run npx vite build --outDir ${job.dist}`));
    return { where: 'chromium', model: modelName, stages: stages.records, notes, cumulativePeaks: false };
  }
  try {
    await withStudioBrowser(job.dist, job.port, async (browser, origin) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      try {
        await userSession(page, origin, job, stages, notes);
      } catch (error) {
        if (!(error instanceof StopRun)) {
          // The stage that was running, else the one the error names, else the next one the run had not reached.
          const reached = new Set(stages.records.map((record) => record.stage));
          const next = sessionOrder.find((stage) => !reached.has(stage)) ?? 'load';
          stages.fail(stages.current ?? (error as { stage?: StageKey }).stage ?? next, error);
        }
        notes.push(`stopped: ${firstLine(error)}`);
      } finally {
        const renderers = rendererPids().map((pid) => statusBytes(pid, 'VmRSS') ?? 0);
        notes.push(`renderer RSS at the end ${(Math.max(0, ...renderers) / 2 ** 20).toFixed(0)} MiB`);
        await context.close();
      }
    });
  } catch (error) {
    notes.push(`Chromium could not run: ${firstLine(error)}`);
  }
  const seen = new Set(stages.records.map((record) => record.stage));
  for (const stage of [...plainStages, ...pipelineStages]) {
    if (!seen.has(stage)) stages.records.push({ stage, status: 'skipped', wallMs: null, peakBytes: null, startBytes: null, detail: stage === 'discovery' ? `part of "${stageLabels.analysisPrepare}"` : stage === 'plainEncoderLean' ? 'Node only' : 'not reached' });
  }
  return { where: 'chromium', model: modelName, stages: stages.records, notes, cumulativePeaks: stages.cumulative };
}
