import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { cheaperOptions, estimateAnalysisCost, isLongAnalysis } from '../../core/analysis/analysisCost';
import { backendLabel } from '../../core/sam/backendChoice';
import { selectResultsDrift } from '../../state/analysisSlice';
import { selectSelectedImage } from '../../state/selectors';
import { useStudio } from '../../state/store';
import { ConfirmDialog, type ConfirmRequest } from '../ConfirmDialog';
import { formatMs } from '../format';
import { AnalysisCostEstimate } from './AnalysisCostEstimate';
import { AnalysisProgressBar } from './AnalysisProgressBar';
import { AnalysisResultsTable } from './AnalysisResultsTable';
import { ImportedResultsNote } from './ImportedResultsNote';
import { ResultsDriftNote } from './ResultsDriftNote';
import { StoredRunNote } from './StoredRunNote';
import { AnalysisSettingsForm } from './AnalysisSettingsForm';
import { useLoadedModel } from './useLoadedModel';
import './analysis.css';

const statusText = {
  idle: 'Not run',
  running: 'Running…',
  cancelling: 'Cancelling…',
  done: 'Done',
  cancelled: 'Cancelled (kept what was measured)',
  error: 'Stopped',
} as const;

/**
 * Analyze button, settings, what the run will cost (with cheaper settings when long), progress with Cancel,
 * and a compact table of the results.
 */
export function AnalysisView() {
  const model = useLoadedModel();
  const settings = useStudio((state) => state.analysisSettings);
  const status = useStudio((state) => state.analysisStatus);
  const progress = useStudio((state) => state.analysisProgress);
  const etaMs = useStudio((state) => state.analysisEtaMs);
  // A fresh object per call: compared field by field, or every render would look like a change.
  const drift = useStudio(useShallow(selectResultsDrift));
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
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
  const backendChoice = useStudio((state) => state.backendStatus?.choice ?? null);
  const encoding = useStudio((state) => selectSelectedImage(state)?.encodeState === 'encoding');
  const defaults = useStudio((state) => state.analysisDefaults);
  const busy = status === 'running' || status === 'cancelling';
  const estimate = useMemo(() => {
    if (!model?.units) return { cost: null, options: [] };
    const input = {
      ...model.units,
      settings,
      imagesAvailable,
      encoderMs: model.encoderMs,
      decoderMsPerPrompt: model.decoderMs,
      backend: backendChoice ? backendLabel(backendChoice) : 'this browser',
    };
    const cost = estimateAnalysisCost(input);
    return { cost, options: isLongAnalysis(cost) ? cheaperOptions(input) : [] };
  }, [model, settings, imagesAvailable, backendChoice]);
  return (
    <section className="card analysis-view" aria-label="Layer analysis" data-testid="analysis-view" data-status={status} data-backend={backend ?? undefined}>
      <div className="card-title">
        <h2>Layer analysis</h2>
        <span className={`status analysis-status-${status}`}>{statusText[status]}</span>
      </div>
      {defaults?.settings === settings && (
        <p className="analysis-defaults-note" data-testid="analysis-defaults-note">
          {defaults.reason}
        </p>
      )}
      <AnalysisSettingsForm settings={settings} imagesAvailable={imagesAvailable} disabled={busy} onChange={setSettings} />
      {model && modelReady && !busy && <AnalysisCostEstimate cost={estimate.cost} counting={model.counting} options={estimate.options} encoding={encoding} onApply={setSettings} />}
      <div className="analysis-actions">
        <button type="button" onClick={() => void start()} disabled={busy || !modelReady || imagesAvailable === 0}>
          Analyze
        </button>
        <button type="button" onClick={cancel} disabled={status !== 'running'}>
          Cancel
        </button>
        <button
          type="button"
          onClick={() =>
            setConfirm({
              title: 'Delete every stored analysis?',
              message: (
                <>
                  <p>Every probe measured in this browser, for every model, image set and settings, is deleted{results ? ', and the analysis shown here is cleared with its budget' : ''}.</p>
                  <p>The next Analyze measures everything again.</p>
                </>
              ),
              confirmLabel: 'Delete stored analyses',
              onConfirm: () => void clearCache(),
            })
          }
          disabled={busy}
          title="Forget stored analyses"
        >
          Clear cache
        </button>
      </div>
      {progress && <AnalysisProgressBar progress={progress} etaMs={etaMs} run={status === 'running' ? 'running' : status === 'cancelling' ? 'cancelling' : 'stopped'} />}
      <StoredRunNote />
      <ImportedResultsNote />
      {error && <p className="analysis-error">{error}</p>}
      {stats && (
        <p className="muted analysis-stats" data-testid="analysis-stats" data-probes-run={stats.probesRun} data-probes-reused={stats.probesReused} data-probing-ms={stats.probingMs}>
          {stats.probesRun} probes measured, {stats.probesReused} reused from the cache, {formatMs(stats.elapsedMs)}
          {backend ? ` · ${backend}` : ''}
        </p>
      )}
      {drift && <ResultsDriftNote drift={drift} running={busy} />}
      {results && <AnalysisResultsTable results={results} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
