/**
 * The run's report: report.json (reportSchema.ts, built by buildReport) and a self-contained report.html
 * (renderReportHtml) with the live charts inlined as SVG.
 */
export * from './reportSchema';
export { buildReport, type ReportInput } from './buildReport';
export { renderReportHtml, escapeHtml } from './reportHtml';
export { sanitizeSvg } from './sanitizeSvg';
