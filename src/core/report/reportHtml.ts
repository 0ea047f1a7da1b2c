/**
 * report.html: one self-contained page (inline CSS, charts as inline SVG, the report JSON embedded) that reads
 * the same offline, years later: it references nothing outside itself.
 */
import { exportProfileInfo } from '../quant/profiles';
import { REPORT_CHARTS, type MixQsamReport, type ReportChartName, type ReportCharts } from './reportSchema';
import { countOf, formatMegabytes, formatMegabytesOfBits } from '../displayUnits';
import { sanitizeSvg } from './sanitizeSvg';
import { REPORT_CSS } from './reportStyle';

const chartTitles: Record<ReportChartName, string> = {
  gauges: 'Size and BOPs against W8A8 and FP32',
  allocation: 'Bits per unit',
  pareto: 'Best objective across budgets',
  importance: 'Importance Ω by depth',
  sensitivity: 'Sensitivity σ(b) per unit and width',
  synergy: 'Synergy Ŝ between neighbours',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Significant digits for tables; "—" when not measured. */
function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e6)) return value.toExponential(digits - 1);
  return String(Number(value.toPrecision(digits)));
}

/** Whole counts with thousands separators: 2568192 → "2,568,192". */
function grouped(value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function megabytes(bits: number | null | undefined): string {
  return bits === null || bits === undefined ? '—' : formatMegabytesOfBits(bits);
}

function bops(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value >= 1e12) return `${num(value / 1e12)} TBOPs`;
  if (value >= 1e9) return `${num(value / 1e9)} GBOPs`;
  if (value >= 1e6) return `${num(value / 1e6)} MBOPs`;
  return `${num(value)} BOPs`;
}

function percent(value: number | null | undefined, of: number): string {
  return value === null || value === undefined || of <= 0 ? '—' : `${num((100 * value) / of, 3)}%`;
}

function statusText(report: MixQsamReport): { text: string; tone: string } {
  const a = report.allocation;
  if (!a) return { text: 'no allocation', tone: 'idle' };
  if (a.status === 'optimal') return { text: 'optimal', tone: 'ok' };
  if (a.status === 'feasible') return { text: `gap ${num((a.gap ?? 0) * 100, 2)}%`, tone: 'warn' };
  return { text: a.status, tone: 'error' };
}

function row(cells: readonly string[], header = false): string {
  const tag = header ? 'th' : 'td';
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

function definitionList(entries: readonly [string, string][]): string {
  return `<dl>${entries.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function summarySection(report: MixQsamReport): string {
  const a = report.allocation;
  const { sizes } = report;
  const status = statusText(report);
  const allocationEntries: [string, string][] = a
    ? [
        ['Status', `<span class="badge badge-${status.tone}">${escapeHtml(status.text)}</span> (${a.method === 'exact' ? 'exact path' : 'instant path'}, ${num(a.solveMs, 3)} ms)`],
        ['Objective', `${a.objectiveMode === 'paper' ? 'importance Ω (maximize Σ Ω·b − λ Σ Ŝ|Δb|)' : 'sensitivity σ (minimize Σ σ(b) + λ Σ Ŝ|Δb|)'}`],
        ['Value', `${num(a.objective, 6)} (bound ${num(a.bound, 6)})`],
        // The λ the objective multiplies Ŝ by; the page's slider may show it on the objective's scale.
        ['λ (raw, as in the objective)', num(a.lambda)],
        ['Candidate widths', escapeHtml(a.candidates.join(', '))],
        ['Size budget', a.budgets.maxSizeBits === null ? 'none' : `${megabytes(a.budgets.maxSizeBits)} (${num(a.budgets.maxSizeBits / Math.max(1, sizes.params), 3)} bits per weight, ${a.sizeCounting === 'stored' ? 'counted as the file stores them (INT4 / INT8)' : 'counted as Σ p·b'})`],
        ['BOPs budget', a.budgets.maxBops === null ? 'none' : bops(a.budgets.maxBops)],
        ['Floors', a.lowerBoundFraction === null ? 'none' : `${num(a.lowerBoundFraction * 100, 3)}% of each budget`],
      ]
    : [['Status', 'no allocation was solved']];
  if (a?.infeasibleReason) allocationEntries.push(['Why', escapeHtml(a.infeasibleReason)]);
  const footprint = sizes.allocation;
  const footprintEntries: [string, string][] = [
    ['Size', footprint ? `${megabytes(footprint.sizeBits)} · ${percent(footprint.sizeBits, sizes.w8a8.sizeBits)} of W8A8 · ${percent(footprint.sizeBits, sizes.fp32.sizeBits)} of FP32` : '—'],
    ['BOPs', footprint ? `${bops(footprint.bops)} · ${percent(footprint.bops, sizes.w8a8.bops)} of W8A8 · ${percent(footprint.bops, sizes.fp32.bops)} of FP32` : '—'],
    ['Average width', footprint?.averageBits != null ? `${num(footprint.averageBits, 3)} bits per weight` : '—'],
    ['Stored in the file', footprint ? `${megabytes(footprint.storedSizeBits)} (${num(footprint.storedSizeBits / Math.max(1, sizes.params), 3)} bits per weight: INT4 / INT8 containers, scales not counted)` : '—'],
    ['W8A8 / FP32', `${megabytes(sizes.w8a8.sizeBits)} / ${megabytes(sizes.fp32.sizeBits)}; ${bops(sizes.w8a8.bops)} / ${bops(sizes.fp32.bops)}`],
    ['Quantizable units', `${report.units.length} (${grouped(sizes.params)} weights, ${bops(sizes.macs).replace('BOPs', 'MACs')}); ${report.excludedUnits.length} kept FP`],
  ];
  return `<section class="grid"><div class="panel"><h2>Allocation</h2>${definitionList(allocationEntries)}</div><div class="panel"><h2>Footprint</h2>${definitionList(footprintEntries)}</div></section>`;
}

function chartsSection(svgs: ReportCharts): string {
  const figures = REPORT_CHARTS.filter((name) => svgs[name]).map(
    (name) => `<figure class="chart" id="chart-${name}"><figcaption>${escapeHtml(chartTitles[name])}</figcaption>${sanitizeSvg(svgs[name]!, name)}</figure>`,
  );
  return figures.length > 0 ? `<section><h2>Charts</h2><div class="charts">${figures.join('')}</div><p class="muted">Hover a mark for its unit and value.</p></section>` : '';
}

function evaluationSection(report: MixQsamReport): string {
  const e = report.evaluation;
  if (!e) return '';
  const rows = e.rows.map((r) => row([escapeHtml(r.label), num(r.miouTruth), num(r.miouFp)]));
  const note = e.matchesAllocation ? '' : '<p class="warn">This table scored an earlier allocation than the one above.</p>';
  return `<section><h2>Mask quality (mIoU)</h2><p class="muted">${countOf(e.images, 'image')}, ${countOf(e.prompts, 'prompt')} (${e.promptsWithTruth} with a true object).</p>${note}<table>${row(['Model', 'mIoU vs truth', 'mIoU vs FP'], true)}${rows.join('')}</table></section>`;
}

function unitsSection(report: MixQsamReport): string {
  const widths = report.analysis.widths;
  const measured = new Set(report.analysis.measuredWidths);
  const header = row(['#', 'Unit', 'Kind', 'Params', 'MACs', 'Ω', ...widths.map((b) => `σ(${b})${measured.has(b) ? '' : '*'}`), 'Ŝ→next', 'Lock', 'Bits'], true);
  const body = report.units.map((u) =>
    row([
      String(u.index),
      `<span title="${escapeHtml(u.id)}">${escapeHtml(`${u.part} · ${u.role}`)}</span>`,
      u.kind,
      num(u.params, 6),
      num(u.macs, 4),
      num(u.importance),
      ...u.sensitivity.map((s) => num(s, 3)),
      num(u.synergyToNext, 3),
      u.lock ? (u.lock.kind === 'fp' ? `FP${u.lock.bits}` : `fixed ${u.lock.bits}`) : '',
      u.bits === null ? (report.allocation?.status === 'optimal' || report.allocation?.status === 'feasible' ? 'FP' : '—') : String(u.bits),
    ]),
  );
  const excluded = report.excludedUnits.map((x) => `<li><code>${escapeHtml(x.id)}</code>: ${escapeHtml(x.reason)}</li>`).join('');
  const estimated = widths.some((b) => !measured.has(b)) ? '<p class="muted">* estimated from the measured widths by σ(b) ∝ 4^−b.</p>' : '';
  return `<section><h2>Units</h2>${estimated}<div class="scroll"><table class="units">${header}${body.join('')}</table></div>${excluded ? `<h3>Kept at full precision</h3><ul>${excluded}</ul>` : ''}</section>`;
}

function quantizerEntries(q: MixQsamReport['analysis']['quantizer']): [string, string][] {
  if (!q) return [];
  const rounding = q.weightRounding === 'gptq' ? 'GPTQ (error-compensated, Hessians from the calibration images)' : 'to nearest';
  return [
    ['Quantizer', `softmax·v ${q.softmaxV === 'log2' ? 'log2 (PTQ4SAM)' : 'uniform'}; ${q.perWidthCalibration ? 'ranges and τ calibrated per width' : 'one range and τ for every width'}; weights rounded ${rounding}; ${q.biasCorrection ? 'biases corrected for each width’s mean output shift (input means from the calibration images)' : 'biases as in the model'}`],
    ['Units probed', q.scope === 'decoder' ? 'decoder only (encoder kept at full precision)' : 'encoder and decoder'],
  ];
}

function runSection(report: MixQsamReport): string {
  const a = report.analysis;
  const entries: [string, string][] = [
    ['Model', `${escapeHtml(report.model.name ?? '—')} (${escapeHtml(report.model.format ?? 'format unknown')})`],
    ['Files', escapeHtml([report.model.encoderFile, report.model.decoderFile].filter(Boolean).join(', ') || '—')],
    ['Model hash', `<code>${escapeHtml(report.model.hash)}</code>`],
    ['Images', `${a.images.length}: ${escapeHtml(a.images.join(', '))}`],
    ['Prompts per image', String(a.promptsPerImage)],
    ['Sensitivity', `${escapeHtml(a.sensitivityMode)}; measured at ${escapeHtml(a.measuredWidths.join(', '))} bits`],
    ...quantizerEntries(a.quantizer),
    ['Probes', `${a.probesDone}/${a.probesTotal}${a.complete ? '' : ' (incomplete)'}`],
    ['Backends', escapeHtml(Object.entries(report.backend).filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`).join('; ') || '—')],
    ['Timings', escapeHtml(Object.entries(report.timings).map(([k, v]) => `${k} ${num(v / 1000, 3)} s`).join('; ') || '—')],
    ...exportEntries(report),
  ];
  return `<section class="panel"><h2>Run</h2>${definitionList(entries)}</section>`;
}

/** The downloaded files with their sizes, and how closely they reproduce the simulation. */
function exportEntries(report: MixQsamReport): [string, string][] {
  const exported = report.exported;
  if (!exported) return [['Exported files', 'not exported yet']];
  const files = exported.files
    .map((file) => `${escapeHtml(file.fileName)} ${formatMegabytes(file.bytes)} (full precision ${formatMegabytes(file.fpBytes)})`)
    .join('; ');
  const v = exported.verification;
  const check = `end to end max |Δ| ${v.endToEnd.maxAbsError.toExponential(2)} of a ${num(v.endToEnd.range, 3)} logit range on ${countOf(v.prompts, 'prompt')} of ${escapeHtml(v.checkImage)} (${escapeHtml(v.backend)})`;
  const d = exported.deployed;
  const truth = d.miouTruth ? `; vs the true objects file ${num(d.miouTruth.file, 3)}, preview ${num(d.miouTruth.preview, 3)}, full precision ${num(d.miouTruth.fp, 3)}` : '';
  const latency = d.latency ? `; encoder ×${num(d.latency.ratio, 2)} the full-precision time (median ratio of ${d.latency.rounds} alternating rounds)` : '; encoder not timed';
  const simulation = d.vsSimulation ? `; the preview ran this file; vs the exact simulation mIoU ${num(d.vsSimulation.miou, 3)}, ${d.vsSimulation.below} below 0.9` : '';
  const deployed = `masks vs the preview mIoU ${num(d.miou, 3)} on ${countOf(d.iouByPrompt.length, 'prompt')}, ${d.below} below 0.9 (worst ${num(d.worst, 3)}); vs full precision file ${num(d.miouFp.file, 3)}, preview ${num(d.miouFp.preview, 3)}${truth}${simulation}${latency}`;
  return [
    ['Export profile', escapeHtml(exportProfileInfo(exported.profile).label)],
    ['Exported files', files],
    [exportProfileInfo(exported.profile).exact ? 'Export check (reference options)' : 'Under the reference options', check],
    ['As deployed (default options)', deployed],
  ];
}

/** The report as one HTML page. `svgs`: serialized chart <svg> elements by name (any subset, or none). */
export function renderReportHtml(report: MixQsamReport, svgs: ReportCharts = {}): string {
  const title = `Mix-QSAM report: ${report.model.name ?? report.model.hash}`;
  // The JSON rides along in a data block (never executed); "<" is escaped so no text can close the block.
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    `<header><h1>${escapeHtml(title)}</h1><p class="muted">${escapeHtml(report.tool)} · ${escapeHtml(report.createdAt)} · report format ${report.version}</p></header>`,
    '<main>',
    summarySection(report),
    chartsSection(svgs),
    evaluationSection(report),
    unitsSection(report),
    runSection(report),
    '</main>',
    `<script type="application/json" id="report-data">${data}</script>`,
    '</body></html>',
  ].join('\n');
}
