import { describe, expect, it } from 'vitest';
import { solveInstant, type AllocationProblem } from '../allocate';
import type { AnalysisResults, UnitAnalysis } from '../analysis/analysisResults';
import { defaultAnalysisSettings } from '../analysis/settings';
import { buildReport, renderReportHtml, sanitizeSvg, type MixQsamReport } from './index';

function unit(id: string, part: string, role: string, params: number, macs: number | null, importance: number, sensitivity: number[]): UnitAnalysis {
  return { id, graph: id.startsWith('encoder') ? 'encoder' : 'decoder', nodeName: id, op: 'MatMul', kind: params > 0 ? 'weight' : 'activation', role, part, params, macs, importance, sensitivity };
}

const analysis: AnalysisResults = {
  runKey: 'run-1',
  modelHash: 'f00d',
  settings: { ...defaultAnalysisSettings, candidateBits: [2, 4, 6], sensitivityMode: 'fast', fastProbeBits: [2, 6], promptsPerImage: 4 },
  candidateBits: [2, 4, 6],
  measuredBits: [2, 6],
  units: [
    unit('encoder:/blocks.0/attn/qkv/MatMul', 'encoder block 0', 'qkv', 1000, 100_000, 0.4, [16e-3, 1e-3, 6.25e-5]),
    unit('encoder:/blocks.0/attn/MatMul', 'encoder block 0', 'q·kᵀ', 0, 50_000, 0.1, [4e-3, NaN, 1.5625e-5]),
    unit('encoder:/neck/neck.0/Conv', 'neck', 'neck.conv1', 3000, 300_000, 0.3, [8e-3, 5e-4, 3.125e-5]),
    unit('decoder:/transformer/layers.0/self_attn/q_proj/MatMul', 'decoder layer 0', 'self_attn.q_proj', 1000, null, 0.2, [1.6e-2, 1e-3, 6.25e-5]),
  ],
  synergy: [2, 3, 1],
  importanceByImage: [[0.4, 0.1, 0.3, 0.2]],
  imageNames: ['one.png', 'two.png'],
  excludedUnits: [{ id: 'encoder:/patch_embed/proj/Conv', reason: 'patch embedding (kept FP as in PTQ4SAM)' }],
  probesDone: 24,
  probesTotal: 24,
  complete: true,
};
const unitIds = analysis.units.map((u) => u.id);

function problem(sizeAverageBits: number): AllocationProblem {
  return {
    units: analysis.units.map((u) => ({ name: u.id, params: u.params, macs: u.macs ?? 0 })),
    candidates: [2, 4, 6],
    locks: [null, null, null, { kind: 'fp', bits: 32 }],
    budgets: { size: { averageBits: sizeAverageBits } },
    objective: { mode: 'paper', importance: analysis.units.map((u) => u.importance), synergy: analysis.synergy, lambda: 0.01 },
  };
}

function report(results: AnalysisResults = analysis): MixQsamReport {
  const p = problem(11);
  return buildReport({
    analysis: results,
    allocation: { problem: p, unitIds, result: solveInstant(p) },
    evaluation: {
      images: 2,
      prompts: 8,
      promptsWithTruth: 6,
      plans: [
        { id: 'fp', label: 'FP32', miouTruth: 0.91, miouFp: 1 },
        { id: 'mixed', label: 'Mixed (avg 4.00 bits)', miouTruth: 0.8765, miouFp: 0.9321 },
      ],
    },
    model: { name: 'demo <sam>', encoderFile: 'encoder.onnx', decoderFile: 'decoder.onnx', format: 'meta' },
    backend: { analysis: 'WASM · 2 threads' },
    timings: { analysis: 36_000, solve: 12.5, export: NaN },
    createdAt: new Date('2026-11-26T12:00:00Z'),
  });
}

describe('report.json', () => {
  it('holds units, budgets, the allocation and sizes with numbers recomputed here', () => {
    const r = report();
    expect(r.format).toBe('mix-qsam-report');
    expect(r.createdAt).toBe('2026-11-26T12:00:00.000Z');
    expect(r.model.hash).toBe('f00d');
    // Σp = 5000 weights, Σ MAC = 450 000 (the unknown MACs count as 0).
    expect(r.sizes.params).toBe(5000);
    expect(r.sizes.macs).toBe(450_000);
    expect(r.sizes.fp32).toEqual({ sizeBits: 160_000, bops: 450_000 * 1024 });
    expect(r.sizes.w8a8).toEqual({ sizeBits: 40_000, bops: 450_000 * 64 });
    const a = r.allocation!;
    expect(a.budgets.maxSizeBits).toBe(55_000);
    expect(a.status === 'optimal' || a.status === 'feasible').toBe(true);
    // The FP-locked decoder unit has no width; the others sum to the reported size with it at 32 bits.
    expect(r.units[3].bits).toBeNull();
    expect(r.units[3].lock).toEqual({ kind: 'fp', bits: 32 });
    const size = r.units.reduce((sum, u) => sum + u.params * (u.bits ?? 32), 0);
    expect(r.sizes.allocation!.sizeBits).toBe(size);
    expect(r.sizes.allocation!.averageBits).toBeCloseTo(size / 5000, 12);
    expect(size).toBeLessThanOrEqual(55_000);
    // Not measured → null, so the JSON round-trips exactly.
    expect(r.units[1].sensitivity).toEqual([4e-3, null, 1.5625e-5]);
    expect(r.units[3].macs).toBeNull();
    expect(r.units.map((u) => u.synergyToNext)).toEqual([2, 3, 1, null]);
    expect(r.timings).toEqual({ analysis: 36_000, solve: 12.5 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('refuses an allocation solved for other units', () => {
    const p = problem(4);
    expect(() => buildReport({ analysis, allocation: { problem: p, unitIds: [...unitIds].reverse(), result: solveInstant(p) } })).toThrow('other units');
  });

  it('says infeasible with the reason when no allocation fits', () => {
    const p = problem(1);
    const r = buildReport({ analysis, allocation: { problem: p, unitIds, result: solveInstant(p) } });
    expect(r.allocation!.status).toBe('infeasible');
    expect(r.allocation!.infeasibleReason).toContain('below the smallest reachable size');
    expect(r.sizes.allocation).toBeNull();
    expect(r.units.every((u) => u.bits === null)).toBe(true);
    expect(renderReportHtml(r)).toContain('badge-error');
  });
});

describe('report.html', () => {
  const chart = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20" viewBox="0 0 100 20"><defs><linearGradient id="g1"/></defs><rect width="10" height="10" fill="url(#g1)"><title>encoder block 0 · qkv</title></rect><text>marker-allocation</text></svg>';

  it('is one self-contained page: charts inline, no address outside itself, the JSON embedded', () => {
    const r = report();
    const html = renderReportHtml(r, { allocation: chart, pareto: chart.replace('marker-allocation', 'marker-pareto') });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('marker-allocation');
    expect(html).toContain('marker-pareto');
    expect(html).toContain('fill="url(#g1)"');
    expect(html).not.toMatch(/https?:|\/\/[a-z]|<link|\bsrc=|@import/i);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts).toEqual([' type="application/json" id="report-data"']);
    const data = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(JSON.parse(data)).toEqual(r);
  });

  it('shows the numbers: status, size against references, mIoU, one row per unit', () => {
    const r = report();
    const html = renderReportHtml(r);
    const size = r.sizes.allocation!.sizeBits;
    // Decimal MB written as the page writes it (src/ui/format.ts): the same size reads the same in both.
    expect(html).toContain(`${(size / 8e6).toPrecision(3)} MB`);
    expect(html).toContain(`${Number(((100 * size) / 160_000).toPrecision(3))}% of FP32`);
    expect(html).toContain('<td>Mixed (avg 4.00 bits)</td><td>0.8765</td><td>0.9321</td>');
    // What the file holds: every width's INT4 / INT8 container, recomputed here from the units' widths.
    // (a unit locked to full precision stays float in the file)
    const container = (unit: (typeof r.units)[number]) => (unit.lock?.kind === 'fp' ? unit.lock.bits : unit.bits === null ? 0 : unit.bits <= 4 ? 4 : 8);
    const stored = r.units.reduce((sum, unit) => sum + unit.params * container(unit), 0);
    expect(r.sizes.allocation!.storedSizeBits).toBe(stored);
    expect(html).toContain(`<dt>Stored in the file</dt><dd>${(stored / 8e6).toPrecision(3)} MB`);
    expect(r.allocation!.sizeCounting).toBe('ideal');
    expect(html.match(/<tr><td>\d+<\/td>/g)).toHaveLength(4);
    expect(html).toContain('σ(4)*');
    expect(html).toContain('4 (5,000 weights, 450000 MACs); 1 kept FP');
    expect(html).toContain('demo &lt;sam&gt;');
    expect(html).not.toContain('demo <sam>');
  });

  it('says how the model was quantized, so the run can be repeated: softmax·v quantizer, calibration, weight rounding, probed units', () => {
    const nearest = report();
    // The studio's defaults: biases corrected.
    expect(nearest.analysis.quantizer).toEqual({ softmaxV: 'log2', perWidthCalibration: false, weightRounding: 'nearest', biasCorrection: true, scope: 'all', gridSize: 4 });
    const settings = { ...analysis.settings, weightRounding: 'gptq' as const, biasCorrection: true, log2PostSoftmax: false, perWidthRanges: true, perWidthLog2Tau: true, scope: 'decoder' as const };
    const r = report({ ...analysis, settings });
    expect(r.analysis.quantizer).toEqual({ softmaxV: 'uniform', perWidthCalibration: true, weightRounding: 'gptq', biasCorrection: true, scope: 'decoder', gridSize: 4 });
    const html = renderReportHtml(r);
    expect(html).toContain('softmax·v uniform; ranges and τ calibrated per width; weights rounded GPTQ');
    expect(html).toContain('biases corrected for each width’s mean output shift');
    expect(renderReportHtml(report({ ...analysis, settings: { ...analysis.settings, biasCorrection: false } }))).toContain('biases as in the model');
    expect(html).toContain('decoder only (encoder kept at full precision)');
  });

  it('lists the exported files with their sizes and the export check, or says nothing was exported', () => {
    expect(renderReportHtml(report())).toContain('<dd>not exported yet</dd>');
    const exported = buildReport({
      analysis,
      exported: {
        profile: 'fast-cpu',
        files: [
          { part: 'encoder', fileName: 'encoder.mixed.onnx', bytes: 1_950_000, fpBytes: 8_900_000 },
          { part: 'decoder', fileName: 'decoder.mixed.onnx', bytes: 1_600_000, fpBytes: 3_200_000 },
        ],
        verification: {
          encoder: { maxAbsError: 0, range: 12 },
          decoder: { maxAbsError: 0, range: 55 },
          endToEnd: { maxAbsError: 0.00025, range: 55.4 },
          prompts: 4,
          checkImage: 'Sample 1',
          backend: 'WASM',
        },
        deployed: {
          miou: 0.8684,
          iouByPrompt: [1, 0.95, 0.61, 0.92],
          below: 1,
          worst: 0.61,
          miouFp: { file: 0.969, preview: 0.86 },
          miouTruth: null,
          latency: { fpMs: 89, fileMs: 86, ratio: 0.935, rounds: 4 },
          vsSimulation: { miou: 0.4644, below: 2, worst: 0.186 },
        },
      },
    });
    expect(exported.exported?.files.map((f) => f.bytes)).toEqual([1_950_000, 1_600_000]);
    const html = renderReportHtml(exported);
    expect(html).toContain('encoder.mixed.onnx 1.950 MB (full precision 8.900 MB)');
    expect(html).toContain('end to end max |Δ| 2.50e-4 of a 55.4 logit range on 4 prompts of Sample 1 (WASM)');
    expect(html).toContain('<dt>Export profile</dt><dd>fast (CPU / WASM)</dd>');
    expect(html).toContain('masks vs the preview mIoU 0.868 on 4 prompts, 1 below 0.9 (worst 0.61); vs full precision file 0.969, preview 0.86; the preview ran this file; vs the exact simulation mIoU 0.464, 2 below 0.9; encoder ×0.94 the full-precision time (median ratio of 4 alternating rounds)');
  });

  it('counts in words that agree with the number, and says which λ it prints', () => {
    const single = buildReport({
      analysis,
      evaluation: { images: 1, prompts: 1, promptsWithTruth: 1, plans: [{ id: 'fp', label: 'FP32', miouTruth: 0.9, miouFp: 1 }] },
    });
    expect(renderReportHtml(single)).toContain('1 image, 1 prompt (1 with a true object)');
    expect(renderReportHtml(report())).toContain('2 images, 8 prompts (6 with a true object)');
    // The λ the solver used, named as such: the page shows it beside its own scaled setting.
    expect(renderReportHtml(report())).toContain('<dt>λ (raw, as in the objective)</dt><dd>0.01</dd>');
  });

  it('strips scripts, handlers and outside links from chart SVGs, and refuses non-SVG', () => {
    const hostile =
      '<svg onload="alert(1)"><script>alert(2)</script><image href="https://example.org/x.png"/><a href="http://e.org"><text>t</text></a><rect style="fill:url(http://e.org/p)" onclick="x()"/><use xlink:href="#ok"/></svg>';
    const clean = sanitizeSvg(hostile);
    expect(clean).not.toMatch(/script|onload|onclick|http|<image|<a\b/i);
    expect(clean).toContain('<rect');
    expect(() => sanitizeSvg('<div>not a chart</div>', 'pareto')).toThrow('The pareto chart is not an <svg> element.');
  });
});
