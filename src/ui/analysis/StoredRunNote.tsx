import { useEffect, useState } from 'react';
import { storedRunOf, type StoredRun } from '../../state/persistStoredRun';
import { useStudio } from '../../state/store';

/**
 * Says what this browser keeps of the analysis Analyze would run now: it resumes only with the identical
 * model, images and settings, so the line follows them (and is checked again after each run).
 */
export function StoredRunNote() {
  const modelHash = useStudio((state) => state.modelHash);
  const images = useStudio((state) => state.images);
  const settings = useStudio((state) => state.analysisSettings);
  const status = useStudio((state) => state.analysisStatus);
  const results = useStudio((state) => state.analysisResults);
  const [stored, setStored] = useState<StoredRun | null>(null);
  useEffect(() => {
    if (status === 'running' || status === 'cancelling') return;
    let current = true;
    const timer = setTimeout(() => {
      storedRunOf(useStudio.getState())
        .then((run) => current && setStored(run))
        .catch(() => current && setStored(null));
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [modelHash, images, settings, status]);
  if (!stored || status === 'running' || status === 'cancelling') return null;
  // The finished run shown is this one: nothing to resume.
  if (status === 'done' && results?.runKey === stored.runKey) return null;
  return (
    <p className="muted analysis-stored-note" data-testid="analysis-stored-note" data-stored-probes={stored.probes}>
      {stored.probes > 0
        ? `This browser keeps ${stored.probes} probe${stored.probes === 1 ? '' : 's'} of an analysis of this model, these images and settings: Analyze resumes it and measures only what is missing.`
        : 'Nothing is stored yet for this model, these images and settings. What Analyze measures is kept in this browser, and resumes only with the identical model, images and settings.'}
    </p>
  );
}
