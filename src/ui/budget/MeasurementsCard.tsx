import { useMemo } from 'react';
import { useStudio } from '../../state/store';
import { ImportanceChart } from '../charts/ImportanceChart';
import { SensitivityHeatmap } from '../charts/SensitivityHeatmap';
import { SynergyStrip } from '../charts/SynergyStrip';
import { countOf } from '../format';
import { GuideLink } from '../guide/GuideLink';

/**
 * Ω, σ and Ŝ along depth, one column per unit lined up across the three charts (and the allocation below).
 * They fill in while the analysis runs; before it, each says what to do.
 */
export function MeasurementsCard() {
  const results = useStudio((state) => state.analysisResults);
  const units = useMemo(() => results?.units ?? [], [results]);
  const importance = useMemo(() => units.map((unit) => unit.importance), [units]);
  const sensitivity = useMemo(() => units.map((unit) => unit.sensitivity), [units]);
  const synergy = useMemo(() => results?.synergy ?? [], [results]);
  const widths = useMemo(() => results?.candidateBits ?? [], [results]);
  const measured = useMemo(() => results?.measuredBits ?? [], [results]);
  return (
    <section className="card measurements-card" aria-label="Measurements" data-testid="measurements-card">
      <div className="card-title">
        <h2>What matters where</h2>
        {results && (
          <span className="muted measurements-count">
            {countOf(units.length, 'unit')} · {results.excludedUnits.length} kept FP
          </span>
        )}
      </div>
      <p className="muted measurements-terms">
        Ω: how much the masks change when a unit is switched off · σ(b): when only it is quantized to b bits · Ŝ: how alike
        neighbours’ importance is <GuideLink section="importance" term="Ω, σ and Ŝ" />
      </p>
      <ImportanceChart units={units} importance={importance} />
      {results ? (
        <>
          <SensitivityHeatmap units={units} widths={widths} sensitivity={sensitivity} measuredWidths={measured} />
          <SynergyStrip units={units} synergy={synergy} />
        </>
      ) : (
        <p className="muted measurements-later">Sensitivity σ per width and synergy Ŝ between neighbours appear here too, as they are measured.</p>
      )}
    </section>
  );
}
