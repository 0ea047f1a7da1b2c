/**
 * report.json and report.html of what the studio shows now (core/report): the store's analysis, allocation and
 * evaluation (state/reportInput.ts), and for the HTML the live chart <svg>s serialized from the page.
 */
import { buildReport, renderReportHtml, type MixQsamReport } from '../../core/report';
import { reportInputFromState } from '../../state/reportInput';
import type { StudioState } from '../../state/store';
import { serializeCharts } from '../charts/serializeCharts';
import { downloadBlob } from './download';

function reportOf(state: StudioState): MixQsamReport {
  const input = reportInputFromState(state);
  if (!input) throw new Error('Run Analyze first: the report describes an analysis and its allocation.');
  return buildReport(input);
}

export function downloadReportJson(state: StudioState): void {
  const report = reportOf(state);
  downloadBlob(new Blob([`${JSON.stringify(report, null, 2)}\n`], { type: 'application/json' }), 'report.json');
}

export function downloadReportHtml(state: StudioState): void {
  const report = reportOf(state);
  downloadBlob(new Blob([renderReportHtml(report, serializeCharts(document))], { type: 'text/html' }), 'report.html');
}
