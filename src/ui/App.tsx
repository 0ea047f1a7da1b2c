import { useEffect } from 'react';
import { startStudio } from '../state/startup';
import { AnalysisPanel } from './AnalysisPanel';
import { AnalysisView } from './analysis/AnalysisView';
import { BudgetPanel } from './budget/BudgetPanel';
import { MeasurementsCard } from './budget/MeasurementsCard';
import { DropOverlay } from './DropOverlay';
import { ExportView } from './export/ExportView';
import { FilePickers } from './FilePickers';
import { Header } from './Header';
import { ImageStage } from './ImageStage';
import { ImageStrip } from './ImageStrip';
import { ModelCard } from './ModelCard';
import { EvaluateView } from './preview/EvaluateView';
import { QuantPreviewView } from './preview/QuantPreviewView';
import { RestoredNote } from './RestoredNote';
import { StageToolbar } from './StageToolbar';
import { StatusLine } from './StatusLine';
import { DaySteps } from './steps/DaySteps';
import { useStudio } from '../state/store';
import { Toasts } from './Toasts';

/**
 * Layout: header; the day's steps; left column (model, images, files); centre (image, its masks and the
 * mixed-precision preview beside them); right column (analysis → budget → evaluate → export). Once an analysis
 * exists the right column takes the room the image no longer needs.
 */
export function App() {
  useEffect(() => {
    void startStudio();
  }, []);
  const hasResults = useStudio((state) => state.analysisResults !== null);
  return (
    <div className="app">
      <Header />
      <RestoredNote />
      <DaySteps />
      <main className={`workspace${hasResults ? ' workspace-results' : ''}`} data-testid="workspace">
        <aside className="left-column">
          <ModelCard />
          <ImageStrip />
          <FilePickers />
        </aside>
        <section className="centre-column card" aria-label="Image">
          <StageToolbar />
          <Toasts />
          <ImageStage />
          <StatusLine />
          <QuantPreviewView />
        </section>
        <AnalysisPanel>
          <AnalysisView />
          <MeasurementsCard />
          <BudgetPanel />
          <EvaluateView />
          <ExportView />
        </AnalysisPanel>
      </main>
      <DropOverlay />
    </div>
  );
}
