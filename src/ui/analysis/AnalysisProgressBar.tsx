import type { AnalysisProgress } from '../../core/analysis/analysisEngine';
import { durationInWords } from '../../core/progress';

/** done/total, ETA and what is being measured now. */
export function AnalysisProgressBar({ progress }: { progress: AnalysisProgress }) {
  const fraction = progress.total > 0 ? progress.done / progress.total : 0;
  return (
    <div className="analysis-progress" data-testid="analysis-progress" data-done={progress.done} data-total={progress.total}>
      <progress max={progress.total || 1} value={progress.done} aria-label="Analysis progress" />
      <div className="analysis-progress-line">
        <span>
          {progress.done}/{progress.total} probes ({(fraction * 100).toFixed(0)}%)
        </span>
        <span className="muted">ETA {progress.etaMs === null ? '—' : durationInWords(progress.etaMs)}</span>
      </div>
      <div className="analysis-progress-label muted" title={progress.unitId ?? undefined}>
        {progress.label}
      </div>
    </div>
  );
}
