import { describe, expect, it } from 'vitest';
import type { PlanScore } from '../evaluate/evaluateRun';
import { checkTargets, markdownTable, studyRow, type ModelSpec, type StudyRow } from './table';

const budget4 = { label: 'W4A4', bits: 4, candidates: [2, 3, 4, 5, 6] };
const score = (miouTruth: number, miouFp: number): PlanScore => ({ id: 'mixed', label: '', miouTruth, miouFp, miouFpByImage: [], iouTruthByPrompt: [], iouFpByPrompt: [] });

describe('studyRow', () => {
  it('averages points and boxes over all prompts, weighted by how many each set has', () => {
    const model: ModelSpec = {
      id: 'mixed-sensitivity-W4A4',
      label: 'Mixed σ @W4A4',
      kind: 'mixed',
      budget: budget4,
      mode: 'sensitivity',
      bits: [2, 6, 4],
      use: { sizeBits: 1200, bops: 50000, averageWeightBits: 3.5, bopsEquivalentBits: 3.9, withinBudget: true },
      solver: { status: 'optimal', gap: 0, elapsedMs: 1, widths: { 2: 1, 4: 1, 6: 1 } },
    };
    // 10 points at 0.8 and 30 boxes at 0.6: (8 + 18) / 40 = 0.65. Against FP: (10·0.9 + 30·0.5) / 40 = 0.6.
    const row = studyRow(model, { log2: true, rounding: 'nearest' }, { point: score(0.8, 0.9), box: score(0.6, 0.5) }, { point: { prompts: 10, promptsWithTruth: 10 }, box: { prompts: 30, promptsWithTruth: 30 } });
    expect(row.miouTruth.all).toBeCloseTo(0.65, 15);
    expect(row.miouFp.all).toBeCloseTo(0.6, 15);
    expect(row.id).toBe('mixed-sensitivity-W4A4-log2');
    const gptq = studyRow(model, { log2: false, rounding: 'gptq' }, { point: score(0.8, 0.9), box: score(0.6, 0.5) }, { point: { prompts: 10, promptsWithTruth: 10 }, box: { prompts: 30, promptsWithTruth: 30 } });
    expect([gptq.id, gptq.label, gptq.rounding]).toEqual(['mixed-sensitivity-W4A4-nolog2-gptq', 'Mixed σ @W4A4 · uniform softmax · GPTQ', 'gptq']);
    expect([row.budget, row.budgetBits, row.averageWeightBits, row.solverStatus]).toEqual(['W4A4', 4, 3.5, 'optimal']);
  });

  it('refuses a prompt set without truth', () => {
    const model: ModelSpec = { id: 'fp', label: 'FP32', kind: 'fp', budget: null, mode: null, bits: null, use: null, solver: null };
    const noTruth: PlanScore = { id: 'fp', label: '', miouTruth: null, miouFp: 1, miouFpByImage: [], iouTruthByPrompt: [], iouFpByPrompt: [] };
    const runs = { point: { prompts: 1, promptsWithTruth: 0 }, box: { prompts: 1, promptsWithTruth: 1 } };
    expect(() => studyRow(model, null, { point: noTruth, box: score(1, 1) }, runs)).toThrow('No point prompt');
  });
});

function row(id: string, kind: StudyRow['kind'], budget: string | null, mode: StudyRow['mode'], log2: boolean | null, all: number, rounding: StudyRow['rounding'] = log2 === null ? null : 'nearest'): StudyRow {
  return {
    id,
    label: id,
    kind,
    budget,
    budgetBits: budget ? Number(budget[1]) : null,
    mode,
    log2,
    rounding,
    averageWeightBits: null,
    bopsEquivalentBits: null,
    sizeBits: null,
    bops: null,
    widths: kind === 'uniform' ? { 4: 84 } : null,
    solverStatus: null,
    miouTruth: { point: all, box: all, all },
    miouFp: { point: 1, box: 1, all: 1 },
    relativeToFp: all / 0.8,
  };
}

describe('targets', () => {
  it('compare the best mixed row of each budget with uniform W4A4 and with FP', () => {
    const rows = [
      row('fp', 'fp', null, null, null, 0.8),
      row('u4', 'uniform', 'W4A4', null, true, 0.5),
      row('m4p', 'mixed', 'W4A4', 'paper', true, 0.55),
      row('m4s', 'mixed', 'W4A4', 'sensitivity', true, 0.61),
      row('m6p', 'mixed', 'W6A6', 'paper', true, 0.78),
      row('m6s', 'mixed', 'W6A6', 'sensitivity', true, 0.795),
    ];
    const [w4, w6] = checkTargets(rows);
    // 0.61 / 0.5 = 1.22 ≥ 1.2; 0.795 / 0.8 = 0.99375 ≥ 0.99.
    expect(w4.value).toBeCloseTo(1.22, 12);
    expect([w4.met, w4.rows]).toEqual([true, ['m4s', 'u4']]);
    expect(w6.value).toBeCloseTo(0.99375, 12);
    expect([w6.met, w6.rows]).toEqual([true, ['m6s', 'fp']]);
    rows[3].miouTruth.all = 0.59;
    expect(checkTargets(rows)[0].met).toBe(false);
  });

  it('hold GPTQ rows to their own targets against FP, and keep the mixed/uniform targets on round-to-nearest rows', () => {
    const rows = [
      row('fp', 'fp', null, null, null, 0.8),
      row('u4', 'uniform', 'W4A4', null, true, 0.5),
      row('m4', 'mixed', 'W4A4', 'sensitivity', true, 0.61),
      row('u4g', 'uniform', 'W4A4', null, true, 0.77, 'gptq'),
      row('m4g', 'mixed', 'W4A4', 'sensitivity', true, 0.79, 'gptq'),
      row('m3g', 'mixed', 'W3A3', 'sensitivity', true, 0.7, 'gptq'),
    ];
    const checks = checkTargets(rows);
    // Mixed/uniform compares nearest with nearest (0.61 / 0.5), not the better GPTQ rows.
    expect(checks[0].rows).toEqual(['m4', 'u4']);
    const byRow = Object.fromEntries(checks.slice(1).map((c) => [c.rows[0], c]));
    expect(Object.keys(byRow).sort()).toEqual(['m3g', 'm4g', 'u4g']);
    expect([byRow.m4g.value, byRow.m4g.required, byRow.m4g.met]).toEqual([0.79 / 0.8, 0.98, true]); // 0.9875
    expect([byRow.u4g.value, byRow.u4g.met]).toEqual([0.77 / 0.8, true]); // 0.9625 ≥ 0.95
    expect([byRow.m3g.value, byRow.m3g.required, byRow.m3g.met]).toEqual([0.7 / 0.8, 0.9, false]); // 0.875 < 0.9
  });

  it('prints percentages in the markdown table', () => {
    const text = markdownTable([row('fp', 'fp', null, null, null, 0.8), row('u4', 'uniform', 'W4A4', null, false, 0.5)]);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('| FP32 | — | — | — | — | 80.0 | 80.0 | 80.0 | 100.0 | 100.0 | — |');
    expect(text).toContain('| uniform W4A4 | uniform | nearest | — | — | 50.0 | 50.0 | 50.0 | 62.5 | 100.0 | 4:84 |');
  });
});
