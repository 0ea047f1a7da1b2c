import { selectAllocation } from '../../state/budgetSlice';
import { allocationKeyOf } from '../../state/evaluateSlice';
import { useStudio } from '../../state/store';
import { formatMs } from '../format';
import { QuantProgress } from './QuantProgress';
import './preview.css';

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const formatIoU = (value: number | null) => (value === null ? '—' : value.toFixed(3));

/** Evaluate: mIoU of FP, the uniform baseline at the same budgets and the mixed allocation, as a small table. */
export function EvaluateView() {
  const status = useStudio((state) => state.evaluationStatus);
  const progress = useStudio((state) => state.evaluationProgress);
  const evaluation = useStudio((state) => state.evaluation);
  const error = useStudio((state) => state.evaluationError);
  const analysed = useStudio((state) => state.analysisResults?.complete ?? false);
  const allocation = useStudio(selectAllocation);
  const start = useStudio((state) => state.startEvaluation);
  const cancel = useStudio((state) => state.cancelEvaluation);
  const busy = status === 'running' || status === 'cancelling';
  const stale = evaluation !== null && allocation !== null && evaluation.allocationKey !== allocationKeyOf(allocation.widthByUnit);
  return (
    <section className="card evaluate-view" aria-label="Evaluation" data-testid="evaluate-view" data-status={status}>
      <div className="card-title">
        <h2>Evaluate</h2>
        {status === 'cancelled' && <span className="status">Cancelled</span>}
      </div>
      <div className="quant-actions">
        <button type="button" onClick={() => void start()} disabled={busy || !analysed} title={analysed ? 'mIoU over the analysed images and prompts' : 'Run Analyze first'}>
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
          <table className="quant-table" data-testid="evaluate-table">
            <thead>
              <tr>
                <th>Model</th>
                <th className="number" title="Mean IoU against the true objects (generated samples)">mIoU truth</th>
                <th className="number" title="Mean IoU against the full-precision masks">mIoU vs FP</th>
              </tr>
            </thead>
            <tbody>
              {evaluation.plans.map((plan) => (
                <tr key={plan.id} data-plan={plan.id} data-miou-truth={plan.miouTruth ?? ''} data-miou-fp={plan.miouFp}>
                  <td>{plan.label}</td>
                  <td className="number">{formatIoU(plan.miouTruth)}</td>
                  <td className="number">{formatIoU(plan.miouFp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted quant-note">
            {plural(evaluation.prompts, 'prompt')} on {plural(evaluation.images, 'image')} ({evaluation.promptsWithTruth} with known objects) · {formatMs(evaluation.elapsedMs)} · {evaluation.backend}
          </p>
          {evaluation.uniformMissing && <p className="muted quant-note">{evaluation.uniformMissing}</p>}
          {stale && <p className="quant-stale">The allocation changed since: Evaluate again to score it.</p>}
        </>
      )}
    </section>
  );
}
