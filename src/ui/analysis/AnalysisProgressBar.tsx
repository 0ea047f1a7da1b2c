import type { AnalysisProgress } from '../../core/analysis/analysisEngine';
import { aboutDurationInWords } from '../../core/progress';

export type RunState = 'running' | 'cancelling' | 'stopped';

/**
 * The analysis one phase at a time: calibration counts images (i of T), probes count probes (n/N) with the
 * time left in round words while running; preparation has no count. After a run it keeps the last count
 * (what was measured) without a time left.
 */
export function AnalysisProgressBar({ progress, etaMs, run }: { progress: AnalysisProgress; etaMs: number | null; run: RunState }) {
  const { phase, done, total } = progress;
  const counted = phase !== 'preparing' && total > 0;
  const fraction = counted ? done / total : 0;
  let heading: string;
  if (phase === 'calibrating') heading = `Calibrating: image ${Math.min(done + 1, total)} of ${total}`;
  else if (phase === 'probing' || phase === 'done') heading = `${done}/${total} probes (${Math.floor(fraction * 100)}%)`;
  else heading = 'Preparing…';
  let timeLeft = '';
  if (run === 'cancelling') timeLeft = 'stopping after this forward…';
  else if (run === 'running' && phase === 'probing') timeLeft = etaMs === null ? 'estimating time left…' : `${aboutDurationInWords(etaMs)} left`;
  return (
    <div className="analysis-progress" data-testid="analysis-progress" data-phase={phase} data-done={done} data-total={total}>
      {counted ? <progress max={total} value={done} aria-label={`Analysis ${phase}`} /> : <progress aria-label="Analysis preparing" />}
      <div className="analysis-progress-line">
        <span data-testid="analysis-progress-count">{heading}</span>
        {timeLeft && (
          <span className="muted" data-testid="analysis-eta">
            {timeLeft}
          </span>
        )}
      </div>
      <div className="analysis-progress-label muted" title={progress.unitId ?? undefined}>
        {progress.label}
      </div>
    </div>
  );
}
