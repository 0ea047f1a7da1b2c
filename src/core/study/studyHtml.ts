/**
 * The study as one self-contained page in the studio's report style (report/reportStyle.ts): settings,
 * the table, the targets and the rows as JSON in a data block. It references nothing outside itself.
 */
import { escapeHtml } from '../report/reportHtml';
import { REPORT_CSS } from '../report/reportStyle';
import { TABLE_COLUMNS, tableCells, targetText, type StudyRow, type TargetCheck } from './table';

export interface StudyPage {
  title: string;
  /** When the study ran (ISO 8601) and with what, in words. */
  createdAt: string;
  /** Settings and timings, one line each. */
  settings: readonly string[];
  rows: readonly StudyRow[];
  targets: readonly TargetCheck[];
}

// Model, quantizer and widths read as text; the report's table aligns numbers right.
const STUDY_CSS = 'table.study td:first-child, table.study th:first-child, table.study td:last-child, table.study th:last-child { text-align: left; }';

export function renderStudyHtml(page: StudyPage): string {
  const head = TABLE_COLUMNS.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = page.rows.map((row) => `<tr data-row="${escapeHtml(row.id)}">${tableCells(row).map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  const targets = page.targets
    .map((check) => `<li><span class="badge ${check.met ? 'badge-ok' : 'badge-warn'}">${check.met ? 'met' : 'missed'}</span> ${escapeHtml(targetText(check).replace(/^(met|MISSED): /, ''))}</li>`)
    .join('\n');
  const data = JSON.stringify({ rows: page.rows, targets: page.targets }).replace(/</g, '\\u003c');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${REPORT_CSS}${STUDY_CSS}</style>`,
    '</head><body>',
    `<header><h1>${escapeHtml(page.title)}</h1><p class="muted">${escapeHtml(page.createdAt)}</p></header>`,
    '<main>',
    `<section><h2>Models</h2><p class="muted">mIoU in % against the true masks of the held-out objects; "IoU vs FP masks" against the full-precision model's masks.</p><table class="study"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></section>`,
    `<section><h2>Targets</h2><ul>\n${targets}\n</ul></section>`,
    `<section><h2>Settings</h2><ul>\n${page.settings.map((line) => `<li>${escapeHtml(line)}</li>`).join('\n')}\n</ul></section>`,
    '</main>',
    `<script type="application/json" id="study-data">${data}</script>`,
    '</body></html>',
  ].join('\n');
}
