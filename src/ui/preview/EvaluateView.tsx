import { selectAllocation } from '../../state/budgetSlice';
import { allocationKeyOf, type EvaluationOutcome } from '../../state/evaluateSlice';
import { useStudio } from '../../state/store';
import { exportProfileInfo, type ExportProfile } from '../../core/quant/profiles';
import { countOf, formatMs } from '../format';
import { NumberField } from '../NumberField';
import { AnalysedTable, HeldOutTable } from './EvaluateTables';
import { QuantProgress } from './QuantProgress';
import './preview.css';

function summary(evaluation: EvaluationOutcome): string {
  const time = `quantized rows run as ${profileWords(evaluation.profile)} · ${formatMs(evaluation.elapsedMs)} · ${evaluation.backend}`;
  if (evaluation.heldOut) {
    const { objects, seeds } = evaluation.heldOut;
    return `Held-out study set: ${countOf(objects, 'object')} on ${countOf(seeds.length, 'scene')} (seeds ${seeds[0]}–${seeds[seeds.length - 1]}), one point and one box each · ${time}`;
  }
  return `${countOf(evaluation.prompts, 'prompt')} on ${countOf(evaluation.images, 'analysed image')} (${evaluation.promptsWithTruth} with known objects) · ${time}`;
}

/** "the simulation" for exact, else "the fast (CPU / WASM) file". */
function profileWords(profile: ExportProfile): string {
  return profile === 'exact' ? 'the simulation' : `the ${exportProfileInfo(profile).label} file`;
}

/** Evaluate: mIoU of FP, the uniform baseline at the same budgets and the mixed allocation, as a small table. */
export function EvaluateView() {
  const status = useStudio((state) => state.evaluationStatus);
  const progress = useStudio((state) => state.evaluationProgress);
  const evaluation = useStudio((state) => state.evaluation);
  const error = useStudio((state) => state.evaluationError);
  const target = useStudio((state) => state.evaluationTarget);
  const heldOutObjects = useStudio((state) => state.heldOutObjects);
  const setTarget = useStudio((state) => state.setEvaluationTarget);
  const setHeldOutObjects = useStudio((state) => state.setHeldOutObjects);
  const analysed = useStudio((state) => state.analysisResults?.complete ?? false);
  const allocation = useStudio(selectAllocation);
  const start = useStudio((state) => state.startEvaluation);
  const cancel = useStudio((state) => state.cancelEvaluation);
  const busy = status === 'running' || status === 'cancelling';
  const profile = useStudio((state) => state.exportProfile);
  const stale = evaluation !== null && allocation !== null && evaluation.allocationKey !== allocationKeyOf(allocation.widthByUnit);
  const otherProfile = evaluation !== null && evaluation.profile !== profile;
  const what = target === 'heldOut' ? `mIoU on ${countOf(heldOutObjects, 'held-out object')} of the quality study, points and boxes apart` : 'mIoU over the analysed images and prompts';
  return (
    <section className="card evaluate-view" aria-label="Evaluation" data-testid="evaluate-view" data-status={status}>
      <div className="card-title">
        <h2>Evaluate</h2>
        {status === 'cancelled' && <span className="status">Cancelled</span>}
      </div>
      <fieldset className="evaluate-target" disabled={busy}>
        <label>
          Score on
          <select value={target} aria-label="Evaluation set" onChange={(event) => setTarget(event.target.value === 'heldOut' ? 'heldOut' : 'analysed')}>
            <option value="analysed">analysed images</option>
            <option value="heldOut">held-out study set</option>
          </select>
        </label>
        {target === 'heldOut' && (
          <label title="Held-out scenes (seeds 700001…) are added until this many objects are prompted; the quality study uses 120">
            <NumberField label="Held-out objects" integer min={1} max={2000} value={heldOutObjects} onCommit={setHeldOutObjects} suffix="objects" />
          </label>
        )}
      </fieldset>
      <div className="quant-actions">
        <button type="button" onClick={() => void start()} disabled={busy || !analysed} title={analysed ? what : 'Run Analyze first'}>
          Evaluate
        </button>
        <button type="button" onClick={cancel} disabled={status !== 'running'}>
          Cancel
        </button>
      </div>
      {busy && progress && <QuantProgress progress={progress} label="Evaluation progress" testId="evaluate-progress" />}
      {error && <p className="quant-error">{error}</p>}
      {evaluation && (
        <>
          {evaluation.heldOut ? <HeldOutTable evaluation={evaluation} /> : <AnalysedTable evaluation={evaluation} />}
          <p className="muted quant-note">{summary(evaluation)}</p>
          {evaluation.uniformMissing && <p className="muted quant-note">{evaluation.uniformMissing}</p>}
          {stale && <p className="quant-stale">The allocation changed since: Evaluate again to score it.</p>}
          {otherProfile && (
            <p className="quant-stale" data-testid="evaluate-other-profile">
              These rows ran as {profileWords(evaluation.profile)}; the model now runs as {profileWords(profile)}: Evaluate again to score it.
            </p>
          )}
        </>
      )}
    </section>
  );
}
