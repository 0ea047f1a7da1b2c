import { durationInWords, type Progress } from '../../core/progress';

/** A progress bar with steps done, ETA and what runs now (evaluation and export). */
export function QuantProgress({ progress, label, testId }: { progress: Progress; label: string; testId: string }) {
  return (
    <div className="quant-progress" data-testid={testId} data-done={progress.done} data-total={progress.total}>
      <progress max={progress.total || 1} value={progress.done} aria-label={label} />
      <div className="quant-progress-line">
        <span className="quant-progress-label muted">{progress.label}</span>
        <span className="muted">
          {progress.done}/{progress.total}
          {progress.etaMs !== null && progress.etaMs > 0 ? ` · ETA ${durationInWords(progress.etaMs)}` : ''}
        </span>
      </div>
    </div>
  );
}
