import { type ReactNode } from 'react';
import { CANDIDATE_PRESETS, bitsToMegabytes, formatBops, megabytesToBits } from '../../core/allocate';
import { megabytesText } from '../../core/displayUnits';
import { sliderRange, type BudgetSettings, type CandidatePreset } from '../../state/budgetProblem';
import { GuideLink } from '../guide/GuideLink';
import { guideSection } from '../guide/guideText';
import { useNumberField } from '../NumberField';
import { LAMBDA_POSITIONS, formatLambda, lambdaFromPosition, positionFromLambda } from './budgetFormat';

export interface BudgetControlsProps {
  settings: BudgetSettings;
  onChange: (patch: Partial<BudgetSettings>) => void;
  /** Candidate widths of the settings, or null when the custom list is invalid (then `candidatesError` says why). */
  candidates: readonly number[] | null;
  candidatesError: string | null;
  /** Σ p_i and Σ MAC_i of the quantizable units (0 before analysis): for MB and BOPs next to the sliders. */
  paramsTotal: number;
  macsTotal: number;
  /** λ as the solver multiplies Ŝ by it (and the report prints it), once a problem is built; null before. */
  rawLambda: number | null;
}

const presetLabels: Record<CandidatePreset, string> = {
  W4A4: `W4A4 {${CANDIDATE_PRESETS.W4A4.join(',')}}`,
  W5A5: `W5A5 {${CANDIDATE_PRESETS.W5A5.join(',')}}`,
  W6A6: `W6A6 {${CANDIDATE_PRESETS.W6A6.join(',')}}`,
  custom: 'custom',
};

/** One budget: its on/off toggle, its slider in average bits, then the values shown beside it. */
function BudgetRow(props: {
  label: string;
  sliderLabel: string;
  range: { min: number; max: number };
  enabled: boolean;
  value: number;
  onEnabled: (enabled: boolean) => void;
  onValue: (value: number) => void;
  /** The "?" beside the label. */
  guide?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="budget-row">
      <label className="budget-toggle">
        <input type="checkbox" checked={props.enabled} onChange={(event) => props.onEnabled(event.target.checked)} />
        {props.label}
        {props.guide}
      </label>
      <input
        type="range"
        aria-label={props.sliderLabel}
        min={props.range.min}
        max={props.range.max}
        step={0.05}
        value={props.value}
        disabled={!props.enabled}
        onChange={(event) => props.onValue(Number(event.target.value))}
      />
      {props.children}
    </div>
  );
}

/**
 * Budgets (size as average bits or MB, BOPs as average bits²), λ, objective mode and candidate widths. Range
 * inputs with labels and visible values, so the keyboard moves them as well as the mouse.
 */
export function BudgetControls({ settings, onChange, candidates, candidatesError, paramsTotal, macsTotal, rawLambda }: BudgetControlsProps) {
  const scaled = settings.lambdaScale === 'objective';
  const range = sliderRange(candidates && candidates.length > 0 ? candidates : [2, 8]);
  // The MB field takes the sizes the slider reaches, written as the gauges and the report write them.
  const roundedMegabytes = (bits: number) => Number(megabytesText(bitsToMegabytes(bits * paramsTotal)));
  const megabytesField = useNumberField({
    value: roundedMegabytes(settings.sizeAverageBits),
    min: roundedMegabytes(range.min),
    max: roundedMegabytes(range.max),
    unit: 'MB',
    format: megabytesText,
    step: roundedMegabytes(0.05) || 0.001,
    onCommit: (megabytes) => {
      if (paramsTotal === 0) return;
      // A value typed at the rounded end of the range may lie a hair outside it: keep the slider's bounds.
      const averageBits = Math.min(range.max, Math.max(range.min, megabytesToBits(megabytes) / paramsTotal));
      onChange({ sizeAverageBits: averageBits });
    },
  });
  return (
    <div className="budget-controls">
      <BudgetRow
        label="Size"
        sliderLabel="Size budget (average bits per weight)"
        range={range}
        enabled={settings.sizeEnabled}
        value={settings.sizeAverageBits}
        onEnabled={(sizeEnabled) => onChange({ sizeEnabled })}
        onValue={(sizeAverageBits) => onChange({ sizeAverageBits })}
        guide={<GuideLink section="budgets" term="the size budget" />}
      >
        <output className="budget-value" data-testid="size-budget-value" data-bits={settings.sizeAverageBits}>
          {settings.sizeAverageBits.toFixed(2)} bits
        </output>
        <label className="budget-mb">
          <input
            {...megabytesField.inputProps}
            value={paramsTotal > 0 ? megabytesField.inputProps.value : ''}
            aria-label="Size budget in MB"
            disabled={!settings.sizeEnabled || paramsTotal === 0}
          />
          MB
        </label>
      </BudgetRow>
      {megabytesField.messageElement && <div className="budget-field-message">{megabytesField.messageElement}</div>}
      <div className="budget-row budget-counting">
        <label>
          Size counts{' '}
          <select
            aria-label="Size counts"
            value={settings.sizeCounting}
            onChange={(event) => onChange({ sizeCounting: event.target.value as BudgetSettings['sizeCounting'] })}
            title="Σ p·b counts a weight at its width (the paper). The file stores 2–4 bits as INT4 and 5–8 bits as INT8: 'stored' budgets what you download."
          >
            <option value="ideal">bits as allocated (Σ p·b, the paper)</option>
            <option value="stored">what the file stores (INT4 / INT8)</option>
          </select>
        </label>
      </div>
      <BudgetRow
        label="BOPs"
        sliderLabel="BOPs budget (average bits, as a uniform WbAb model)"
        range={range}
        enabled={settings.bopsEnabled}
        value={settings.bopsAverageBits}
        onEnabled={(bopsEnabled) => onChange({ bopsEnabled })}
        onValue={(bopsAverageBits) => onChange({ bopsAverageBits })}
        guide={<GuideLink section="budgets" term="the BOPs budget" />}
      >
        <output
          className="budget-value"
          data-testid="bops-budget-value"
          title="The average width b̄ of a model running every unit at b̄ bits for weights and activations: bit operations = MACs × b̄ × b̄, hence bits²"
        >
          {settings.bopsAverageBits.toFixed(2)} bits²
        </output>
        <span className="budget-unit muted">{macsTotal > 0 ? formatBops(macsTotal * settings.bopsAverageBits ** 2) : ''}</span>
      </BudgetRow>
      <div className="budget-row">
        <label
          className="budget-toggle"
          htmlFor="budget-lambda"
          title={`${guideSection('lambda').summary} ${settings.lambdaScale === 'objective' ? "Set in units of the objective's change per bit of an average unit (scaled)." : 'The raw λ of the objective.'}`}
        >
          λ synergy
          <GuideLink section="lambda" term="λ" />
        </label>
        <input
          id="budget-lambda"
          type="range"
          aria-label={settings.lambdaScale === 'objective' ? 'Synergy weight λ (log scale, relative to the objective per bit)' : 'Synergy weight λ (log scale)'}
          aria-valuetext={formatLambda(settings.lambda)}
          min={0}
          max={LAMBDA_POSITIONS}
          step={1}
          value={positionFromLambda(settings.lambda)}
          onChange={(event) => onChange({ lambda: lambdaFromPosition(Number(event.target.value)) })}
        />
        <output className="budget-value">{formatLambda(settings.lambda)}</output>
        {scaled && settings.lambda > 0 && (
          <span
            className="budget-unit muted"
            data-testid="lambda-raw"
            title="The slider sets λ relative to how much the objective changes per bit of an average unit, so the same value means the same trade in either objective; the solver and the report use the raw λ"
          >
            scaled{rawLambda !== null ? ` · raw λ ${formatLambda(rawLambda)}` : ''}
          </span>
        )}
      </div>
      <div className="budget-row budget-choices">
        <span className="budget-toggle">Objective</span>
        <div role="radiogroup" aria-label="Objective" className="budget-radios">
          <label title={`${guideSection('importance').summary} Gives more bits to more important units (maximizes Σ Ω·b − λ·Σ Ŝ·|Δb|, the paper's objective).`}>
            <input type="radio" name="objective" checked={settings.objectiveMode === 'paper'} onChange={() => onChange({ objectiveMode: 'paper' })} />
            importance Ω
          </label>
          <GuideLink section="importance" term="importance Ω" />
          <label title={`${guideSection('sensitivity').summary} Picks the widths with the smallest predicted loss (minimizes Σ σ(b) + λ·Σ Ŝ·|Δb|).`}>
            <input
              type="radio"
              name="objective"
              checked={settings.objectiveMode === 'sensitivity'}
              onChange={() => onChange({ objectiveMode: 'sensitivity' })}
            />
            sensitivity σ
          </label>
          <GuideLink section="sensitivity" term="sensitivity σ" />
        </div>
      </div>
      <div className="budget-row budget-choices">
        <label className="budget-toggle" htmlFor="budget-preset" title={guideSection('widths').summary}>
          Widths
          <GuideLink section="widths" term="candidate widths" />
        </label>
        <select id="budget-preset" aria-label="Candidate widths" title={guideSection('widths').summary} value={settings.preset} onChange={(event) => onChange({ preset: event.target.value as CandidatePreset })}>
          {(Object.keys(presetLabels) as CandidatePreset[]).map((preset) => (
            <option key={preset} value={preset}>
              {presetLabels[preset]}
            </option>
          ))}
        </select>
        {settings.preset === 'custom' && (
          <input
            type="text"
            className="budget-custom"
            aria-label="Custom candidate widths"
            placeholder="2-8 or 3,4,6"
            value={settings.customCandidates}
            onChange={(event) => onChange({ customCandidates: event.target.value })}
          />
        )}
        <label className="budget-floors" title="Also use at least 95% of each budget, so the allocation does not fall far under what you allowed (an option of the paper's reproduction)">
          <input type="checkbox" checked={settings.lowerBounds} onChange={(event) => onChange({ lowerBounds: event.target.checked })} />
          floors 95%
        </label>
      </div>
      {candidatesError && <p className="budget-error">{candidatesError}</p>}
    </div>
  );
}
