import { isLongAnalysis, type AnalysisCost, type CheaperOption } from '../../core/analysis/analysisCost';
import type { AnalysisSettings } from '../../core/analysis/settings';
import { costBasis, durationWords, optionLabel, optionTitles, probesWords } from './costWords';

const modelTitle =
  'Per image: 2 calibration forwards and 1 reference forward; each encoder-unit probe runs the encoder and then the decoder over every prompt, ' +
  'each decoder-unit probe the decoder over every prompt; analysis sessions are counted at 1.5× the plain forwards timed here. ' +
  'Graph preparation is not counted; probes already stored are reused.';

/**
 * What the next run will cost, from forward times measured in this page, and one-click cheaper settings
 * when that is long. `cost` is null while the model's units are being counted (`counting`), or when they
 * could not be.
 */
export function AnalysisCostEstimate({
  cost,
  counting,
  options,
  encoding,
  onApply,
}: {
  cost: AnalysisCost | null;
  counting: boolean;
  options: readonly CheaperOption[];
  encoding: boolean;
  onApply: (patch: Partial<AnalysisSettings>) => void;
}) {
  if (!cost) {
    return (
      <p className="analysis-cost muted" data-testid="analysis-cost">
        {counting ? 'Counting the model’s units to estimate the run…' : 'The run cannot be estimated: the model’s units could not be counted.'}
      </p>
    );
  }
  const duration = durationWords(cost);
  const long = isLongAnalysis(cost);
  return (
    <div className={`analysis-cost${long ? ' analysis-cost-long' : ''}`} data-testid="analysis-cost" data-probes={cost.probes} data-wall-ms={cost.wallMs ?? undefined} data-complete={cost.complete} title={modelTitle}>
      <p>
        <strong>{duration ? `Analyze takes ${duration}` : 'Analyze time not known yet'}</strong>
        {duration && <span className="muted"> on {cost.backend}</span>}
      </p>
      <p className="muted analysis-cost-basis">
        {probesWords(cost)} · {costBasis(cost, encoding)}
      </p>
      {long && options.length > 0 && (
        <div className="analysis-cheaper" role="group" aria-label="Cheaper settings">
          <span>Cheaper:</span>
          {options.map((option) => (
            <button key={option.choice} type="button" title={optionTitles[option.choice]} onClick={() => onApply(option.patch)}>
              {optionLabel(option)}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
