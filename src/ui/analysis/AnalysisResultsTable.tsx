import type { AnalysisResults, UnitAnalysis } from '../../core/analysis/analysisResults';
import { rankByImportance } from '../../core/analysis/analysisResults';

/** Numbers as the table shows them: 4 significant digits, "—" while not measured. */
export function formatMetric(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(4) : '—';
}

/**
 * The top and bottom units by Ω with σ at each candidate width and Ŝ to the next unit. Exact values sit
 * in data attributes, so tests (and anyone inspecting the page) can read them at full precision.
 */
export function AnalysisResultsTable({ results, rows = 5 }: { results: AnalysisResults; rows?: number }) {
  const ranked = rankByImportance(results);
  const top = ranked.slice(0, rows);
  const bottom = ranked.length > 2 * rows ? ranked.slice(-rows) : ranked.slice(rows);
  const position = new Map(results.units.map((unit, i) => [unit.id, i]));
  const measured = new Set(results.measuredBits);
  const renderRow = (unit: UnitAnalysis, rank: number) => {
    const i = position.get(unit.id)!;
    const synergy = i < results.synergy.length ? results.synergy[i] : NaN;
    return (
      <tr key={unit.id} data-unit={unit.id} data-importance={unit.importance} data-sensitivity={JSON.stringify(unit.sensitivity)} data-synergy={synergy}>
        <td className="analysis-rank">{rank}</td>
        <td className="analysis-unit" title={unit.id}>
          {unit.part} · {unit.role}
        </td>
        <td className="analysis-number">{formatMetric(unit.importance)}</td>
        {unit.sensitivity.map((sigma, k) => (
          <td key={k} className={`analysis-number${measured.has(results.candidateBits[k]) ? '' : ' analysis-extrapolated'}`}>
            {formatMetric(sigma)}
          </td>
        ))}
        <td className="analysis-number">{formatMetric(synergy)}</td>
      </tr>
    );
  };
  return (
    <div className="analysis-table-scroll">
      <table className="analysis-table" data-testid="analysis-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Unit</th>
            <th title="Layer importance (KL under zero-ablation, normalized)">Ω</th>
            {results.candidateBits.map((bits) => (
              <th key={bits} title={measured.has(bits) ? 'measured' : 'extrapolated with 4^−b'}>
                σ({bits})
              </th>
            ))}
            <th title="Synergy with the next unit in execution order">Ŝ→</th>
          </tr>
        </thead>
        <tbody>
          {top.map((unit, k) => renderRow(unit, k + 1))}
          {bottom.length > 0 && (
            <tr className="analysis-gap">
              <td colSpan={4 + results.candidateBits.length}>…</td>
            </tr>
          )}
          {bottom.map((unit, k) => renderRow(unit, ranked.length - bottom.length + k + 1))}
        </tbody>
      </table>
    </div>
  );
}
