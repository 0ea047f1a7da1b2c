import { aboutDurationInWords, type Progress } from '../core/progress';
import { countOf, formatMegabytes } from '../core/displayUnits';
import { selectAllocation } from './budgetSlice';
import { allocationKeyOf } from './evaluateSlice';
import { selectResultsDrift } from './analysisSlice';
import type { StudioState } from './store';

/** The day's order (DESIGN.md): each step names the panel it leads to. */
export type DayStepId = 'model' | 'images' | 'analyze' | 'budget' | 'evaluate' | 'export';

/** done: nothing to do here now · busy: running · todo: the user's move · waiting: needs an earlier step · attention: redo or fix. */
export type DayStepTone = 'done' | 'busy' | 'todo' | 'waiting' | 'attention';

export interface DayStep {
  id: DayStepId;
  title: string;
  tone: DayStepTone;
  /** One short line: where this step stands. */
  state: string;
  /** The test id of the panel this step leads to. */
  panel: string;
}

export const DAY_STEP_PANELS: Record<DayStepId, string> = {
  model: 'model-card',
  images: 'image-strip',
  analyze: 'analysis-view',
  budget: 'budget-panel',
  evaluate: 'evaluate-view',
  export: 'export-view',
};

type Step = Omit<DayStep, 'id' | 'title' | 'panel'>;

function modelStep(state: StudioState): Step {
  switch (state.modelStatus) {
    case 'ready':
      return { tone: 'done', state: state.modelName ?? 'ready' };
    case 'loading':
      return { tone: 'busy', state: 'loading…' };
    case 'empty':
      return { tone: 'todo', state: 'drop a SAM export' };
    default:
      return { tone: 'attention', state: state.modelStatus === 'mismatch' ? 'parts do not match' : 'a part is missing' };
  }
}

function imagesStep(state: StudioState): Step {
  const yours = state.images.filter((image) => image.origin === 'file').length;
  if (state.images.length === 0) return { tone: 'todo', state: 'add images' };
  const count = countOf(state.images.length, 'image');
  return { tone: 'done', state: yours > 0 ? `${count} · ${yours} yours` : `${count} · samples` };
}

function analyzeStep(state: StudioState): Step {
  const results = state.analysisResults;
  if (state.analysisStatus === 'running' || state.analysisStatus === 'cancelling') {
    const progress = state.analysisProgress;
    const percent = progress && progress.total > 0 ? `${Math.floor((100 * progress.done) / progress.total)} %` : 'starting';
    const left = state.analysisEtaMs !== null && progress?.phase === 'probing' ? ` · ${aboutDurationInWords(state.analysisEtaMs)} left` : '';
    return { tone: 'busy', state: state.analysisStatus === 'cancelling' ? 'cancelling…' : `${percent}${left}` };
  }
  if (state.modelStatus !== 'ready' || state.images.length === 0) return { tone: 'waiting', state: 'needs a model and images' };
  if (results?.complete) {
    const drift = selectResultsDrift(state);
    if (drift) return { tone: 'attention', state: 'inputs changed: analyze again' };
    return { tone: 'done', state: `${results.units.length} units measured` };
  }
  if (state.analysisStatus === 'error') return { tone: 'attention', state: 'failed: see the panel' };
  if (results) return { tone: 'attention', state: 'partial: resume' };
  return { tone: 'todo', state: 'not run yet' };
}

function budgetStep(state: StudioState): Step {
  if (!state.analysisResults?.complete) return { tone: 'waiting', state: 'after the analysis' };
  if (state.allocationPhase === 'solving') return { tone: 'busy', state: 'solving…' };
  const allocation = selectAllocation(state);
  if (!allocation) return { tone: 'attention', state: state.allocationMessage ? 'no allocation fits' : 'set a budget' };
  // Per weight of the analysed units, as the budget panel prints it.
  const params = state.analysisResults.units.reduce((sum, unit) => sum + unit.params, 0);
  // The size the budget counted: Σ p·b, or the file's containers when the budget is on what the file stores.
  const stored = allocation.problem.sizeCounting === 'stored' ? ' stored' : '';
  const bits = params > 0 ? `${(allocation.sizeBits / params).toFixed(2)} bits${stored}` : 'allocated';
  return { tone: 'done', state: `${bits} · ${allocation.final ? allocation.status : 'refining…'}` };
}

/** A running job as percent done, or "starting" before its first count. */
function busyStep(progress: Progress | null): Step {
  return { tone: 'busy', state: progress && progress.total > 0 ? `${Math.floor((100 * progress.done) / progress.total)} %` : 'starting' };
}

function evaluateStep(state: StudioState): Step {
  const allocation = selectAllocation(state);
  if (!allocation) return { tone: 'waiting', state: 'after the budget' };
  if (state.evaluationStatus === 'running' || state.evaluationStatus === 'cancelling') return busyStep(state.evaluationProgress);
  const evaluation = state.evaluation;
  if (!evaluation || evaluation.modelHash !== state.modelHash) return { tone: 'todo', state: 'click the image · Evaluate' };
  if (evaluation.allocationKey !== allocationKeyOf(allocation.widthByUnit)) return { tone: 'attention', state: 'budget changed: evaluate again' };
  if (evaluation.profile !== state.exportProfile) return { tone: 'attention', state: 'profile changed: evaluate again' };
  const mixed = evaluation.plans.find((plan) => plan.id === 'mixed');
  return { tone: 'done', state: mixed ? `mIoU vs FP ${mixed.miouFp.toFixed(3)}` : 'evaluated' };
}

function exportStep(state: StudioState): Step {
  const allocation = selectAllocation(state);
  if (!allocation) return { tone: 'waiting', state: 'after the budget' };
  if (state.exportStatus === 'running' || state.exportStatus === 'cancelling') return busyStep(state.exportProgress);
  const exported = state.exported;
  if (!exported || exported.modelHash !== state.modelHash) return { tone: 'todo', state: 'download the model' };
  if (exported.allocationKey !== allocationKeyOf(allocation.widthByUnit)) return { tone: 'attention', state: 'budget changed: download again' };
  const bytes = exported.encoder.sizes.fileBytes + exported.decoder.sizes.fileBytes;
  return { tone: 'done', state: `downloaded · ${formatMegabytes(bytes)}` };
}

const STEPS: { id: DayStepId; title: string; read: (state: StudioState) => Step }[] = [
  { id: 'model', title: 'Model', read: modelStep },
  { id: 'images', title: 'Images', read: imagesStep },
  { id: 'analyze', title: 'Analyze', read: analyzeStep },
  { id: 'budget', title: 'Budget', read: budgetStep },
  { id: 'evaluate', title: 'Preview & evaluate', read: evaluateStep },
  { id: 'export', title: 'Export', read: exportStep },
];

/** Where each step of the day stands, read from the store (never stored). */
export function selectDaySteps(state: StudioState): DayStep[] {
  return STEPS.map(({ id, title, read }) => ({ id, title, panel: DAY_STEP_PANELS[id], ...read(state) }));
}

/** The step a person should take next: the first one asking for their move, or null when all are done. */
export function nextDayStep(steps: readonly DayStep[]): DayStep | null {
  return steps.find((step) => step.tone === 'todo' || step.tone === 'attention') ?? null;
}
