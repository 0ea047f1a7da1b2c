import type { ReactNode } from 'react';

/**
 * Right-hand column reserved for the analysis, budget and preview panels. Their components mount
 * inside <section id="analysis-panel">; the placeholder shows only while it is empty.
 */
export function AnalysisPanel({ children }: { children?: ReactNode }) {
  return (
    <section id="analysis-panel" className="analysis-panel" aria-label="Analysis">
      {children ?? (
        <div className="card empty-state">
          <h2>Analysis</h2>
          <p className="muted">Layer importance, sensitivity and bit budgets will appear here.</p>
        </div>
      )}
    </section>
  );
}
