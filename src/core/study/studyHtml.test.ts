import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderStudyHtml } from './studyHtml';
import { checkTargets, tableCells, type StudyRow } from './table';

// The committed study's rows (bench/results/quality.json), as the bench renders them.
const committed = JSON.parse(readFileSync(new URL('../../../bench/results/quality.json', import.meta.url), 'utf8')) as { rows: StudyRow[] };

describe('renderStudyHtml', () => {
  const rows = committed.rows;
  const html = renderStudyHtml({ title: 'Quality study <demo>', createdAt: '2026-11-26', settings: ['λ = 0.01 & per width'], rows, targets: checkTargets(rows) });

  it('holds every row with the markdown table’s cells and the targets in words', () => {
    const rowHtml = [...html.matchAll(/<tr data-row="([^"]+)">(.*?)<\/tr>/g)];
    expect(rowHtml.map((match) => match[1])).toEqual(rows.map((row) => row.id));
    rowHtml.forEach((match, i) => {
      const cells = [...match[2].matchAll(/<td>(.*?)<\/td>/g)].map((cell) => cell[1].replace(/&amp;/g, '&'));
      expect(cells).toEqual(tableCells(rows[i]));
    });
    const targets = checkTargets(rows);
    expect(html.match(/class="badge badge-ok"/g)?.length ?? 0).toBe(targets.filter((t) => t.met).length);
    expect(html.match(/class="badge badge-warn"/g)?.length ?? 0).toBe(targets.filter((t) => !t.met).length);
  });

  it('escapes text, embeds the rows as data and references nothing outside itself', () => {
    expect(html).toContain('<title>Quality study &lt;demo&gt;</title>');
    expect(html).toContain('λ = 0.01 &amp; per width');
    const data = /<script type="application\/json" id="study-data">(.*?)<\/script>/s.exec(html)![1];
    expect((JSON.parse(data) as { rows: StudyRow[] }).rows).toEqual(rows);
    expect(html).not.toMatch(/(src|href)=|https?:\/\/|@import|url\(/);
  });
});
