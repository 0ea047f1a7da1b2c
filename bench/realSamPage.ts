/**
 * What the real-SAM bench sees of the studio page: an init script watches the DOM (the data-* attributes
 * the studio exposes for tests) and the analysis' IndexedDB, and reports a snapshot to the bench whenever
 * anything it reads changes; PageMonitor keeps them and lets the bench wait for a condition, failing fast
 * when the page says it failed (an error status or toast, a crashed tab) or stops changing.
 */
import type { Page } from '@playwright/test';

export interface PageSnapshot {
  /** Date.now() in the page when the change was seen. */
  at: number;
  modelStatus: string;
  modelName: string;
  modelMessage: string;
  encodeState: string;
  decodeCount: number;
  analysisStatus: string;
  analysisError: string;
  progressDone: number;
  progressTotal: number;
  progressLabel: string;
  /** The analysis has saved its calibration (IndexedDB entry "calibration"): calibration is over. */
  calibrationStored: boolean;
  budgetPhase: string;
  allocationMethod: string;
  allocationText: string;
  badgeTone: string;
  badgeText: string;
  exportStatus: string;
  exportLabel: string;
  exportError: string;
  verification: string;
  relativeError: string;
}

const bindingName = '__realSamSnapshot';

/**
 * Runs in the page before its own scripts. Plain JavaScript in a string: the bench runs under tsx, whose
 * transpiled functions may reference helpers that do not exist in the page.
 */
const monitorScript = `(() => {
  const report = window.${bindingName};
  if (!report) return;
  let last = '';
  let calibrationStored = false;
  const byId = (id) => document.querySelector('[data-testid="' + id + '"]');
  const text = (element) => (element && element.textContent ? element.textContent.trim() : '');
  const data = (id, key) => { const element = byId(id); return element && element.dataset[key] !== undefined ? element.dataset[key] : ''; };
  const read = () => ({
    modelStatus: data('model-card', 'status'),
    modelName: text(document.querySelector('[data-testid="model-card"] .model-name')),
    modelMessage: text(document.querySelector('[data-testid="model-card"] .model-message')),
    encodeState: data('image-stage', 'encodeState'),
    decodeCount: Number(data('image-stage', 'decodeCount') || 0),
    analysisStatus: data('analysis-view', 'status'),
    analysisError: text(document.querySelector('[data-testid="analysis-view"] .analysis-error')),
    progressDone: Number(data('analysis-progress', 'done') || 0),
    progressTotal: Number(data('analysis-progress', 'total') || 0),
    progressLabel: text(document.querySelector('[data-testid="analysis-progress"] .analysis-progress-label')),
    calibrationStored,
    budgetPhase: data('budget-panel', 'phase'),
    allocationMethod: data('allocation-summary', 'method'),
    allocationText: text(byId('allocation-summary')),
    badgeTone: data('solve-badge', 'tone'),
    badgeText: text(byId('solve-badge')),
    exportStatus: data('export-view', 'status'),
    exportLabel: text(document.querySelector('[data-testid="export-progress"] .quant-progress-label')),
    exportError: text(document.querySelector('[data-testid="export-view"] .quant-error')),
    verification: text(byId('export-verification')),
    relativeError: data('export-view', 'relativeError'),
  });
  const changed = () => {
    const snapshot = read();
    const key = JSON.stringify(snapshot);
    if (key === last) return;
    last = key;
    snapshot.at = Date.now();
    void report(snapshot);
  };
  // The analysis worker saves its calibration to IndexedDB when calibration ends. The database is only
  // opened once it exists (opening a missing one would create it without its object store).
  let checking = false;
  const checkCalibration = async () => {
    if (calibrationStored || checking || read().analysisStatus !== 'running') return;
    checking = true;
    try {
      const names = (await indexedDB.databases()).map((entry) => entry.name);
      if (!names.includes('mix-qsam-analysis')) return;
      const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open('mix-qsam-analysis');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      try {
        if (!db.objectStoreNames.contains('entries')) return;
        const keys = await new Promise((resolve, reject) => {
          const request = db.transaction('entries').objectStore('entries').getAllKeys();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        if (keys.some((key) => Array.isArray(key) && key[1] === 'calibration')) {
          calibrationStored = true;
          changed();
        }
      } finally {
        db.close();
      }
    } catch {
      // read again on the next tick
    } finally {
      checking = false;
    }
  };
  const start = () => {
    new MutationObserver(changed).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
    setInterval(() => void checkCalibration(), 150);
    changed();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();`;

export class PageFailure extends Error {}

export class PageMonitor {
  latest: PageSnapshot | null = null;
  /** The studio's console lines ([studio] encoder/decoder times; error toasts are logged as errors). */
  readonly consoleLines: { type: string; text: string }[] = [];
  private lastChange = Date.now();
  private crashed: string | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor() {}

  /** With `verbose`, every change of the page's statuses and progress labels is printed to stderr. */
  static async attach(page: Page, verbose = false): Promise<PageMonitor> {
    const monitor = new PageMonitor();
    monitor.verbose = verbose;
    await page.exposeFunction(bindingName, (snapshot: PageSnapshot) => monitor.push(snapshot));
    await page.addInitScript({ content: monitorScript });
    page.on('console', (message) => {
      if (message.text().startsWith('[studio]')) monitor.consoleLines.push({ type: message.type(), text: message.text() });
    });
    page.on('crash', () => monitor.abort('the tab crashed (out of memory?)'));
    page.on('pageerror', (error) => monitor.consoleLines.push({ type: 'error', text: `[page error] ${error.message}` }));
    return monitor;
  }

  private verbose = false;
  private lastLine = '';

  private push(snapshot: PageSnapshot): void {
    if (this.verbose) {
      const line = `model ${snapshot.modelStatus} · image ${snapshot.encodeState} · analysis ${snapshot.analysisStatus} ${snapshot.progressDone}/${snapshot.progressTotal} "${snapshot.progressLabel}"${snapshot.calibrationStored ? ' · calibration stored' : ''} · budget ${snapshot.budgetPhase} · export ${snapshot.exportStatus} "${snapshot.exportLabel}"`;
      if (line !== this.lastLine) process.stderr.write(`  [page] ${line}\n`);
      this.lastLine = line;
    }
    this.latest = snapshot;
    this.lastChange = Date.now();
    for (const wake of [...this.waiters]) wake();
  }

  /** Fails every wait, now and later, with this reason (the first reason given is kept). */
  abort(reason: string): void {
    this.crashed ??= reason;
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * The first snapshot (the current one included) for which `done` holds. Rejects with the page's own
   * words when `failed` returns a message, when the tab crashes, or when nothing changes for `stallMs`.
   */
  waitFor(what: string, done: (s: PageSnapshot) => boolean, options: { failed?: (s: PageSnapshot) => string | null; stallMs: number }): Promise<PageSnapshot> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setInterval> | null = null;
      const finish = () => {
        this.waiters.delete(check);
        if (timer) clearInterval(timer);
      };
      const check = () => {
        if (this.crashed) {
          finish();
          return reject(new PageFailure(this.crashed));
        }
        const snapshot = this.latest;
        if (snapshot) {
          const failure = options.failed?.(snapshot);
          if (failure) {
            finish();
            return reject(new PageFailure(failure));
          }
          if (done(snapshot)) {
            finish();
            return resolve(snapshot);
          }
        }
        if (Date.now() - this.lastChange > options.stallMs) {
          finish();
          reject(new PageFailure(`no change on the page for ${(options.stallMs / 1000).toFixed(0)} s while waiting for ${what}`));
        }
      };
      this.waiters.add(check);
      timer = setInterval(check, 1000);
      check();
    });
  }

  /** A mark for errorsSince. */
  mark(): number {
    return this.consoleLines.length;
  }

  /** Errors the studio reported (its error toasts) since `mark`, as one line; null when none. */
  errorsSince(mark: number): string | null {
    const errors = this.consoleLines.slice(mark).filter((line) => line.type === 'error');
    return errors.length > 0 ? errors.map((line) => line.text.replace(/^\[studio\] /, '')).join(' | ') : null;
  }

  /** Numbers from the studio's "[studio] encoder|decoder N ms" lines since `mark`. */
  timesSince(mark: number, part: 'encoder' | 'decoder'): number[] {
    return this.consoleLines
      .slice(mark)
      .map((line) => new RegExp(`^\\[studio\\] ${part} ([\\d.]+) ms`).exec(line.text))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]));
  }
}
