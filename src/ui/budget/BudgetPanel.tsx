import { useMemo } from 'react';
import { allocationSizes, formatBops } from '../../core/allocate';
import { candidatesOf, uniformReference } from '../../state/budgetProblem';
import { selectCurrentAnswer, type AllocationAnswer } from '../../state/budgetSlice';
import { useStudio } from '../../state/store';
import { AllocationChart } from '../charts/AllocationChart';
import { BudgetGauges, type GaugeRow } from '../charts/BudgetGauges';
import { ParetoChart, type ParetoChartPoint } from '../charts/ParetoChart';
import { BudgetControls } from './BudgetControls';
import { certificateText, formatSizeBits, solveBadge } from './budgetFormat';
import { LockList } from './LockList';
import './budget.css';

/**
 * Budget controls, the solver badge, the allocation (click to lock), size/BOPs gauges and the Pareto curve. It
 * renders what the budget slice holds; every control change re-solves there, off the main thread.
 */
export function BudgetPanel() {
  const results = useStudio((state) => state.analysisResults);
  const settings = useStudio((state) => state.budgetSettings);
  const unitLocks = useStudio((state) => state.unitLocks);
  const phase = useStudio((state) => state.allocationPhase);
  const message = useStudio((state) => state.allocationMessage);
  const latest = useStudio((state) => state.allocationAnswer);
  const current = useStudio(selectCurrentAnswer);
  const pareto = useStudio((state) => state.pareto);
  const setSettings = useStudio((state) => state.setBudgetSettings);
  const cycleLock = useStudio((state) => state.cycleUnitLock);
  const setLock = useStudio((state) => state.setUnitLock);
  const clearLocks = useStudio((state) => state.clearUnitLocks);

  const ready = results?.complete ? results : null;
  const units = useMemo(() => ready?.units ?? [], [ready]);
  const totals = useMemo(
    () => ({ params: units.reduce((sum, u) => sum + u.params, 0), macs: units.reduce((sum, u) => sum + (u.macs ?? 0), 0) }),
    [units],
  );
  let candidates: number[] | null = null;
  let candidatesError: string | null = null;
  try {
    candidates = candidatesOf(settings);
  } catch (error) {
    candidatesError = error instanceof Error ? error.message : String(error);
  }
  const locks = useMemo(() => units.map((unit) => unitLocks[unit.id] ?? null), [units, unitLocks]);

  // While a newer request is solved, the last answer stays on screen, faded, if it is for the same units.
  const shown: AllocationAnswer | null = current ?? (phase === 'solving' && latest && latest.unitIds.length === units.length ? latest : null);
  const stale = shown !== null && shown !== current;
  const result = shown?.result ?? null;
  const badge = solveBadge(phase, current?.result ?? null, message);

  const gaugeRows = useMemo<GaugeRow[]>(() => {
    if (!ready || !shown) return [];
    const w8 = uniformReference(shown.problem, 8);
    const fp = uniformReference(shown.problem, 32);
    const r = shown.result;
    return [
      { label: shown.problem.sizeCounting === 'stored' ? 'Stored' : 'Size', value: r.sizeBits, budget: r.budgets.maxSizeBits, w8: w8.sizeBits, fp: fp.sizeBits, format: formatSizeBits },
      { label: 'BOPs', value: r.bops, budget: r.budgets.maxBops, w8: w8.bops, fp: fp.bops, format: formatBops },
    ];
  }, [ready, shown]);

  const paretoPoints = useMemo<ParetoChartPoint[]>(
    () => pareto.points.map((p) => ({ budgetBits: p.averageBits, objective: p.objective, gap: p.gap })),
    [pareto.points],
  );
  const paretoCurrent = useMemo(() => {
    if (!current || current.result.objective === null) return null;
    const budgetBits =
      pareto.sweep === 'bops'
        ? settings.bopsAverageBits
        : settings.sizeEnabled
          ? settings.sizeAverageBits
          : (current.result.sizeBits ?? 0) / Math.max(1, totals.params);
    return { budgetBits, objective: current.result.objective };
  }, [current, pareto.sweep, settings.bopsAverageBits, settings.sizeAverageBits, settings.sizeEnabled, totals.params]);
  const objectiveLabel =
    settings.objectiveMode === 'paper' ? 'objective Σ Ω·b − λ Σ Ŝ|Δb| (higher is better)' : 'predicted loss Σ σ(b) + λ Σ Ŝ|Δb| (lower is better)';

  // The full reason is in the detail line above the chart; the chart only says why it has no bars.
  const emptyReason = ready && result && !result.bits ? 'No allocation fits these budgets.' : null;
  // Both counts of the size, whichever the budget uses: Σ p·b (the paper) and what the file stores.
  const sizes = shown && result?.bits && totals.params > 0 ? allocationSizes(shown.problem, result.bits) : null;

  return (
    <section className="card budget-panel" aria-label="Bit budget" data-testid="budget-panel" data-phase={phase}>
      <div className="card-title">
        <h2>Bit budget</h2>
        <span
          className={`solve-badge solve-${badge.tone}`}
          data-testid="solve-badge"
          data-tone={badge.tone}
          data-status={current?.result.status ?? 'none'}
          role="status"
          title={badge.detail ?? undefined}
        >
          {badge.text}
        </span>
      </div>
      <BudgetControls
        settings={settings}
        onChange={setSettings}
        candidates={candidates}
        candidatesError={candidatesError}
        paramsTotal={totals.params}
        macsTotal={totals.macs}
        rawLambda={current?.problem.objective.lambda ?? null}
      />
      {badge.detail && <p className={`budget-detail budget-detail-${badge.tone}`}>{badge.detail}</p>}
      {result?.bits && (
        <p
          className="budget-summary"
          data-testid="allocation-summary"
          data-size-bits={result.sizeBits ?? undefined}
          data-max-size-bits={result.budgets.maxSizeBits ?? undefined}
          data-bops={result.bops ?? undefined}
          data-max-bops={result.budgets.maxBops ?? undefined}
          data-method={result.method}
        >
          {settings.objectiveMode === 'paper' ? 'objective' : 'predicted loss'} <strong>{result.objective?.toPrecision(5)}</strong>
          {sizes && (
            <>
              {' '}
              · <span data-testid="allocation-ideal-bits" data-bits={sizes.idealBits / totals.params}>{(sizes.idealBits / totals.params).toFixed(2)} bits/weight</span> ·{' '}
              <span data-testid="allocation-stored-bits" data-bits={sizes.storedBits / totals.params} title="What the downloaded file holds: 2–4-bit weights as INT4, 5–8-bit as INT8 (scales not counted)">
                {(sizes.storedBits / totals.params).toFixed(2)} stored ({formatSizeBits(sizes.storedBits)})
              </span>
            </>
          )}{' '}
          ·{' '}
          <span data-testid="allocation-certificate" data-by={result.certificate?.by ?? undefined}>
            {certificateText(result)}
          </span>
        </p>
      )}
      <AllocationChart
        units={units}
        bits={result?.bits ?? null}
        locks={locks}
        candidates={candidates ?? [4]}
        stale={stale}
        emptyReason={emptyReason}
        onCycleLock={ready ? cycleLock : undefined}
      />
      <LockList units={units} locks={unitLocks} candidates={candidates ?? [4]} onSetLock={setLock} onClear={clearLocks} />
      <BudgetGauges rows={gaugeRows} stale={stale} />
      <ParetoChart
        points={paretoPoints}
        current={paretoCurrent}
        xLabel={pareto.sweep === 'bops' ? 'BOPs budget (bits, as uniform WbAb)' : 'size budget (average bits per weight)'}
        yLabel={objectiveLabel}
        running={pareto.status === 'running'}
        emptyReason={!ready ? 'Run Analyze to sweep budgets.' : pareto.status === 'error' ? pareto.error : null}
      />
    </section>
  );
}
