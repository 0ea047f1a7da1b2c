import { useStudio } from '../../state/store';
import { formatMs } from '../format';
import { AnalysisProgressBar } from './AnalysisProgressBar';
import { AnalysisResultsTable } from './AnalysisResultsTable';
import { AnalysisSettingsForm } from './AnalysisSettingsForm';
import './analysis.css';

const statusText = {
  idle: 'Not run',
  running: 'Running…',
  cancelling: 'Cancelling…',
  done: 'Done',
  cancelled: 'Cancelled (kept what was measured)',
  error: 'Stopped',
} as const;

/** Analyze button, settings, progress with Cancel, and a compact table of the results. */
export function AnalysisView() {
  const settings = useStudio((state) => state.analysisSettings);
  const status = useStudio((state) => state.analysisStatus);
  const progress = useStudio((state) => state.analysisProgress);
  const results = useStudio((state) => state.analysisResults);
  const stats = useStudio((state) => state.analysisStats);
  const error = useStudio((state) => state.analysisError);
  const backend = useStudio((state) => state.analysisBackend);
  const imagesAvailable = useStudio((state) => state.images.length);
  const modelReady = useStudio((state) => state.modelStatus === 'ready');
  const setSettings = useStudio((state) => state.setAnalysisSettings);
  const start = useStudio((state) => state.startAnalysis);
  const cancel = useStudio((state) => state.cancelAnalysis);
  const clearCache = useStudio((state) => state.clearAnalysisCache);
  const busy = status === 'running' || status === 'cancelling';
  return (
    <section className="card analysis-view" aria-label="Layer analysis" data-testid="analysis-view" data-status={status} data-backend={backend ?? undefined}>
      <div className="card-title">
        <h2>Layer analysis</h2>
        <span className={`status analysis-status-${status}`}>{statusText[status]}</span>
      </div>
      <AnalysisSettingsForm settings={settings} imagesAvailable={imagesAvailable} disabled={busy} onChange={setSettings} />
      <div className="analysis-actions">
        <button type="button" onClick={() => void start()} disabled={busy || !modelReady || imagesAvailable === 0}>
          Analyze
        </button>
        <button type="button" onClick={cancel} disabled={status !== 'running'}>
          Cancel
        </button>
        <button type="button" onClick={() => void clearCache()} disabled={busy} title="Forget stored analyses">
          Clear cache
        </button>
      </div>
      {progress && <AnalysisProgressBar progress={progress} />}
      {error && <p className="analysis-error">{error}</p>}
      {stats && (
        <p className="muted analysis-stats" data-testid="analysis-stats" data-probes-run={stats.probesRun} data-probes-reused={stats.probesReused} data-probing-ms={stats.probingMs}>
          {stats.probesRun} probes measured, {stats.probesReused} reused from the cache, {formatMs(stats.elapsedMs)}
          {backend ? ` · ${backend}` : ''}
        </p>
      )}
      {results && <AnalysisResultsTable results={results} />}
    </section>
  );
}
