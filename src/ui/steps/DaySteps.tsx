import { useMemo } from 'react';
import { nextDayStep, selectDaySteps, type DayStep } from '../../state/daySteps';
import { useStudio } from '../../state/store';
import './daySteps.css';

const toneMark: Record<DayStep['tone'], string> = { done: '✓', busy: '…', todo: '', waiting: '', attention: '!' };

/** Brings a step's panel into view (the columns scroll on their own) and marks it for a moment. */
function showPanel(testId: string): void {
  const panel = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  if (!panel) return;
  panel.scrollIntoView({ block: 'start', behavior: 'smooth' });
  panel.classList.remove('panel-flash');
  void panel.offsetWidth;
  panel.classList.add('panel-flash');
  const target = panel.querySelector<HTMLElement>('button:not(:disabled), input, select') ?? panel;
  target.focus({ preventScroll: true });
}

/** The day in six steps, each with where it stands; the next one to take stands out. A click shows its panel. */
export function DaySteps() {
  // Subscribed as text: the steps are rebuilt on every change, and the row re-renders only when one reads differently.
  const stepsText = useStudio((state) => JSON.stringify(selectDaySteps(state)));
  const steps = useMemo(() => JSON.parse(stepsText) as DayStep[], [stepsText]);
  const next = nextDayStep(steps);
  return (
    <nav className="day-steps" aria-label="Steps">
      <ol>
        {steps.map((step, index) => {
          const isNext = next?.id === step.id;
          return (
            <li key={step.id}>
              <button
                type="button"
                className={`day-step day-step-${step.tone}${isNext ? ' day-step-next' : ''}`}
                data-testid="day-step"
                data-step={step.id}
                data-tone={step.tone}
                aria-current={isNext ? 'step' : undefined}
                title={`${isNext ? 'Next: ' : ''}${step.title} — ${step.state}. Click to show its panel`}
                onClick={() => showPanel(step.panel)}
              >
                <span className="day-step-mark" aria-hidden="true">
                  {toneMark[step.tone] || index + 1}
                </span>
                <span className="day-step-text">
                  <span className="day-step-title">
                    {step.title}
                  </span>
                  <span className="day-step-state" data-testid="day-step-state">
                    {step.state}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
