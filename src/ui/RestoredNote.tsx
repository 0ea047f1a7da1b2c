import { useStudio } from '../state/store';
import './restoredNote.css';

/** One line saying what came back from the last visit, with a way to start fresh instead. */
export function RestoredNote() {
  const restored = useStudio((state) => state.restored);
  const startFresh = useStudio((state) => state.startFresh);
  const dismiss = useStudio((state) => state.dismissRestored);
  if (!restored) return null;
  const parts = [
    restored.model ? `the model “${restored.model}”` : null,
    restored.images > 0 ? (restored.images === 1 ? 'your image' : `your ${restored.images} images`) : null,
    restored.settings ? 'your analysis settings' : null,
  ].filter((part): part is string => part !== null);
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? 'the image strip');
  return (
    <div className="restored-note" role="status" data-testid="restored-note">
      <span>Restored from your last visit: {list}.</span>
      <button type="button" className="small-button" onClick={() => void startFresh()} title="Forget the saved model, images and settings and open the studio as new (stored analyses stay; Clear cache deletes them)">
        Start fresh
      </button>
      <button type="button" className="restored-note-close" aria-label="Hide this line" onClick={dismiss}>
        ×
      </button>
    </div>
  );
}
