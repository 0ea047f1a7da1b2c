/**
 * The real-SAM bench's table: one row per stage, per runtime its wall time, peak memory and that peak
 * as a multiple of the plain FP forward's peak (Node's process, Chromium's tab), side by side; then
 * what each stage did and, for a failed stage, the error in full.
 */
import { mib } from './realSamMemory';
import { formatMs, pipelineStages, plainStages, stageLabels, type RunReport, type StageKey, type StageRecord } from './realSamStages';

const where = { node: 'Node', chromium: 'Chromium' } as const;

/**
 * Peak of the plain FP use of the model: the forward stages (Chromium: with its load, the same sessions).
 * Node measures the encoder with onnxruntime's defaults and without its CPU arena (as the analysis runs):
 * the lower of the two is the baseline, so that no ratio flatters the analysis.
 */
export function plainPeakBytes(report: RunReport): number | null {
  const ok = (stage: StageKey) => report.stages.find((r) => r.stage === stage && r.status === 'ok' && r.peakBytes !== null)?.peakBytes ?? null;
  const encoderPeaks = [ok('plainEncoder'), ok('plainEncoderLean')].filter((p): p is number => p !== null);
  const peaks = [report.where === 'chromium' ? ok('load') : null, encoderPeaks.length > 0 ? Math.min(...encoderPeaks) : null, ok('plainDecoder')].filter((p): p is number => p !== null);
  return peaks.length > 0 ? Math.max(...peaks) : null;
}

function timeCell(record: StageRecord | undefined): string {
  if (!record) return '—';
  if (record.status === 'skipped') return '·';
  const time = formatMs(record.wallMs);
  const rate = record.rate !== undefined ? ` · ${record.rate.toFixed(2)}/s` : '';
  return record.status === 'failed' ? `FAILED ${record.wallMs !== null ? `after ${time}` : ''}`.trim() : `${time}${rate}`;
}

function ratioCell(record: StageRecord | undefined, plain: number | null): string {
  if (!record || record.peakBytes === null || plain === null || record.status === 'skipped') return '—';
  return `${(record.peakBytes / plain).toFixed(2)}×`;
}

function pad(cells: string[], widths: number[]): string {
  return `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
}

/** The table for one model, as Markdown (it reads as a table in a terminal too). */
export function formatTable(title: string, reports: readonly RunReport[]): string {
  const rows: StageKey[] = [...plainStages, ...pipelineStages];
  const header = ['stage'];
  for (const report of reports) header.push(`${where[report.where]} time`, `${report.where === 'node' ? 'process' : 'tab'} peak`, '× plain');
  const body = rows.map((stage) => {
    const cells: string[] = [stageLabels[stage]];
    for (const report of reports) {
      const record = report.stages.find((r) => r.stage === stage);
      cells.push(timeCell(record), record?.status === 'skipped' ? '·' : mib(record?.peakBytes), ratioCell(record, plainPeakBytes(report)));
    }
    return cells;
  });
  const widths = header.map((_, i) => Math.max(header[i].length, ...body.map((cells) => cells[i].length)));
  const lines = [`### ${title}`, '', pad(header, widths), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map((cells) => pad(cells, widths))];
  lines.push('', '× plain: the stage\'s peak over the plain FP forward\'s peak on the same runtime (Node: its own process; Chromium: the same tab, load included). "·": not run.');
  for (const report of reports) {
    lines.push('', `${where[report.where]}:`);
    for (const note of report.notes) lines.push(`- ${note}`);
    if (report.cumulativePeaks) lines.push('- peaks could not be reset per stage (/proc/PID/clear_refs): each is the peak since the process started');
    for (const stage of rows) {
      const record = report.stages.find((r) => r.stage === stage);
      if (!record || record.status === 'skipped') continue;
      const start = record.startBytes !== null ? ` [RSS at start ${mib(record.startBytes)}]` : '';
      const failure = record.status === 'failed' ? ` FAILED: ${record.error}` : '';
      lines.push(`- ${stageLabels[stage]}: ${record.detail}${start}${failure}`);
    }
  }
  return lines.join('\n');
}
