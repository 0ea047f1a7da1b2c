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
import { Toasts } from './Toasts';

/** Layout: header; left column (model, images, files); centre (image and mask); right column (analysis). */
export function App() {
  useEffect(() => {
    void startStudio();
  }, []);
  return (
    <div className="app">
      <Header />
      <RestoredNote />
      <main className="workspace">
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
        </section>
        <AnalysisPanel>
          <AnalysisView />
          <MeasurementsCard />
          <BudgetPanel />
          <QuantPreviewView />
          <EvaluateView />
          <ExportView />
        </AnalysisPanel>
      </main>
      <DropOverlay />
    </div>
  );
}
