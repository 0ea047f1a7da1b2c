/**
 * Progress shows the phases apart: calibration counts images (i of T), then probes count probes (n/N, never
 * going back); the time left is in round words while probes run, and gone once the run is done or cancelled.
 */
import { expect, test } from './fixtures';
import { chooseFastAnalysis, openStudio } from './studioPage';

test.describe.configure({ timeout: 420_000 });

interface Seen {
  phase: string | undefined;
  count: string;
  eta: string | null;
}

test('calibration, then probes; the time left in words, hidden when done and after Cancel', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'wasm', 'the progress line does not depend on the backend');
  await openStudio(page, 'wasm');
  const view = page.getByTestId('analysis-view');
  await chooseFastAnalysis(page, 2, 2);
  // Every state of the progress line the page shows, recorded as it changes.
  await page.evaluate(() => {
    const seen: Seen[] = [];
    (window as unknown as { progressSeen: Seen[] }).progressSeen = seen;
    const record = () => {
      const element = document.querySelector<HTMLElement>('[data-testid="analysis-progress"]');
      if (!element) return;
      const entry = {
        phase: element.dataset.phase,
        count: element.querySelector('[data-testid="analysis-progress-count"]')?.textContent ?? element.querySelector('.analysis-progress-line span')?.textContent ?? '',
        eta: element.querySelector('[data-testid="analysis-eta"]')?.textContent ?? null,
      };
      const last = seen.at(-1);
      if (!last || last.phase !== entry.phase || last.count !== entry.count || last.eta !== entry.eta) seen.push(entry);
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(view).toHaveAttribute('data-status', 'done', { timeout: 300_000 });
  const seen = await page.evaluate(() => (window as unknown as { progressSeen: Seen[] }).progressSeen);

  const calibration = seen.filter((entry) => entry.phase === 'calibrating');
  expect(calibration.length).toBeGreaterThan(0);
  for (const entry of calibration) {
    expect(entry.count).toMatch(/^Calibrating: image [12] of 2$/);
    expect(entry.eta).toBeNull();
  }
  const probing = seen.filter((entry) => entry.phase === 'probing');
  expect(probing.length).toBeGreaterThan(5);
  const counts = probing.map((entry) => entry.count.match(/^(\d+)\/(\d+) probes \((\d+)%\)$/)).filter((match) => match !== null);
  expect(counts.length).toBe(probing.length);
  const total = Number(counts[0]![2]);
  expect(counts.every((match) => Number(match![2]) === total)).toBe(true);
  const done = counts.map((match) => Number(match![1]));
  expect(done).toEqual([...done].sort((a, b) => a - b));
  // Probes come after calibration, and the percentage never jumps back.
  expect(seen.findIndex((entry) => entry.phase === 'probing')).toBeGreaterThan(seen.findIndex((entry) => entry.phase === 'calibrating'));
  for (const entry of probing) expect(entry.eta).toMatch(/^(estimating time left…|a few seconds left|about \d+ (s|min) left)$/);
  expect(probing.some((entry) => entry.eta?.endsWith(' left') && !entry.eta.startsWith('estimating'))).toBe(true);

  const progress = page.getByTestId('analysis-progress');
  await expect(progress.getByTestId('analysis-progress-count')).toHaveText(`${total}/${total} probes (100%)`);
  await expect(progress.getByTestId('analysis-eta')).toHaveCount(0);

  // Another run, cancelled while probing: the count stays where it stopped, the time left goes.
  await view.getByLabel('Prompts per image').fill('3');
  await view.getByRole('button', { name: 'Analyze' }).click();
  await expect(progress).toHaveAttribute('data-phase', 'probing', { timeout: 120_000 });
  await expect(progress.getByTestId('analysis-eta')).toBeVisible();
  await view.getByRole('button', { name: 'Cancel' }).click();
  await expect(view).toHaveAttribute('data-status', 'cancelled', { timeout: 60_000 });
  await expect(progress.getByTestId('analysis-eta')).toHaveCount(0);
  await expect(progress.getByTestId('analysis-progress-count')).toHaveText(/^\d+\/\d+ probes \(\d+%\)$/);
});
