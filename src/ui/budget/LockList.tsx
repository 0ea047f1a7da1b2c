import type { UnitLock } from '../../core/allocate';
import { FP_LOCK_BITS, MAX_CANDIDATE_BITS } from '../../state/budgetProblem';
import { unitLabel, type ChartUnit } from '../charts/chartScales';

export interface LockListProps {
  units: readonly ChartUnit[];
  locks: Readonly<Record<string, UnitLock>>;
  candidates: readonly number[];
  onSetLock: (unitId: string, lock: UnitLock | null) => void;
  onClear: () => void;
}

const lockWidths = Array.from({ length: MAX_CANDIDATE_BITS - 1 }, (_, k) => k + 2);

/** The locked units, each with its width (or FP) editable and a button to free it: the keyboard path to locks. */
export function LockList({ units, locks, candidates, onSetLock, onClear }: LockListProps) {
  const locked = units.filter((unit) => locks[unit.id]);
  if (locked.length === 0) return null;
  const widths = [...new Set([...lockWidths, ...candidates])].sort((a, b) => a - b);
  return (
    <div className="lock-list" data-testid="lock-list">
      <div className="lock-list-head">
        <span>
          {locked.length} locked unit{locked.length === 1 ? '' : 's'}
        </span>
        <button type="button" onClick={onClear}>
          Free all
        </button>
      </div>
      <ul>
        {locked.map((unit) => {
          const lock = locks[unit.id];
          return (
            <li key={unit.id} data-unit={unit.id}>
              <span className="lock-name" title={unit.id}>
                {unitLabel(unit)}
              </span>
              <select
                aria-label={`Lock of ${unitLabel(unit)}`}
                value={lock.kind === 'fp' ? 'fp' : String(lock.bits)}
                onChange={(event) =>
                  onSetLock(unit.id, event.target.value === 'fp' ? { kind: 'fp', bits: FP_LOCK_BITS } : { kind: 'fixed', bits: Number(event.target.value) })
                }
              >
                {widths.map((bits) => (
                  <option key={bits} value={bits}>
                    {bits} bits
                  </option>
                ))}
                <option value="fp">FP{FP_LOCK_BITS}</option>
              </select>
              <button type="button" aria-label={`Free ${unitLabel(unit)}`} onClick={() => onSetLock(unit.id, null)}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
