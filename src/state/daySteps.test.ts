/** Where each step of the day stands, read from store states built as the slices leave them. */
import { describe, expect, it } from 'vitest';
import { defaultAnalysisSettings } from '../core/analysis/settings';
import { smallAnalysisResults } from './budgetTestResults';
import { nextDayStep, selectDaySteps, type DayStep } from './daySteps';
import type { StudioState } from './store';

const image = (id: string, origin: 'sample' | 'file') => ({ id, name: `${id}.png`, origin });

function state(patch: Partial<Record<keyof StudioState, unknown>>): StudioState {
  return {
    modelStatus: 'ready',
    modelName: 'mobilesam',
    modelHash: 'abc123',
    images: [image('a', 'sample'), image('b', 'file')],
    analysisStatus: 'idle',
    analysisProgress: null,
    analysisEtaMs: null,
    analysisResults: null,
    analysisInputs: null,
    analysisSettings: defaultAnalysisSettings,
    allocationPhase: 'idle',
    allocationAnswer: null,
    allocationRequest: null,
    allocationMessage: null,
    evaluationStatus: 'idle',
    evaluationProgress: null,
    evaluation: null,
    exportStatus: 'idle',
    exportProgress: null,
    exported: null,
    ...patch,
  } as unknown as StudioState;
}

const byId = (steps: DayStep[]) => Object.fromEntries(steps.map((step) => [step.id, step]));

describe('selectDaySteps', () => {
  it('with no model, asks for one first and says what the later steps wait for', () => {
    const steps = selectDaySteps(state({ modelStatus: 'empty', modelName: null, images: [] }));
    expect(steps.map((step) => [step.id, step.tone, step.state])).toEqual([
      ['model', 'todo', 'drop a SAM export'],
      ['images', 'todo', 'add images'],
      ['analyze', 'waiting', 'needs a model and images'],
      ['budget', 'waiting', 'after the analysis'],
      ['evaluate', 'waiting', 'after the budget'],
      ['export', 'waiting', 'after the budget'],
    ]);
    expect(nextDayStep(steps)?.id).toBe('model');
  });

  it('counts the user’s own images and makes Analyze the next move', () => {
    const steps = byId(selectDaySteps(state({})));
    expect(steps.model.state).toBe('mobilesam');
    expect(steps.images.state).toBe('2 images · 1 yours');
    expect(steps.analyze).toMatchObject({ tone: 'todo', state: 'not run yet' });
    expect(nextDayStep(Object.values(steps))?.id).toBe('analyze');
  });

  it('shows a running analysis as percent done and time left in words', () => {
    const progress = { done: 45, total: 100, label: '', etaMs: 370_000, phase: 'probing', imageIndex: 0, unitId: null };
    const steps = byId(selectDaySteps(state({ analysisStatus: 'running', analysisProgress: progress, analysisEtaMs: 370_000 })));
    expect(steps.analyze).toMatchObject({ tone: 'busy', state: '45 % · about 6 min left' });
  });

  it('marks a finished analysis whose images changed since as one to redo', () => {
    const results = smallAnalysisResults();
    const settings = { ...results.settings, imageCount: 1 };
    const inputs = { imageIds: ['b'], imageNames: ['b.png'], settings };
    const done = byId(selectDaySteps(state({ analysisStatus: 'done', analysisResults: results, analysisInputs: inputs, analysisSettings: settings })));
    expect(done.analyze).toMatchObject({ tone: 'done', state: `${results.units.length} units measured` });
    // The user's images come first in the analysis order: a run made on the sample is not this one.
    const moved = byId(
      selectDaySteps(state({ analysisStatus: 'done', analysisResults: results, analysisInputs: { ...inputs, imageIds: ['a'] }, analysisSettings: settings })),
    );
    expect(moved.analyze).toMatchObject({ tone: 'attention', state: 'inputs changed: analyze again' });
  });
});
