import { useStudio } from '../../state/store';
import './importedResults.css';

/** Says that the analysis shown came from a results file of npm run analyze, and what it measured. */
export function ImportedResultsNote() {
  const imported = useStudio((state) => state.importedResults);
  if (!imported) return null;
  const images = imported.imageNames.length;
  return (
    <p className="imported-results-note" data-testid="imported-results-note" data-run-key={imported.runKey}>
      <strong>Imported from {imported.fileName}</strong> (npm run analyze): {imported.units} {imported.scope === 'decoder' ? 'decoder ' : ''}units, {imported.probes} probes on{' '}
      {images} image{images === 1 ? '' : 's'} ({imported.imageNames.join(', ')}){imported.elapsedS !== null ? `, ${imported.elapsedS.toFixed(1)} s where it ran` : ''}. The budget,
      preview, evaluation and export use it; Analyze measures again in this page and replaces it.
    </p>
  );
}
