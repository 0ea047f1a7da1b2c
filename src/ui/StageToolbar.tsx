import { selectSelectedImage, selectSelectedPrompts } from '../state/selectors';
import { useStudio } from '../state/store';

/** How to prompt, and the button that clears the prompts. */
export function StageToolbar() {
  const image = useStudio(selectSelectedImage);
  const prompts = useStudio(selectSelectedPrompts);
  const clearPrompts = useStudio((state) => state.clearPrompts);
  const hasPrompts = prompts.points.length > 0 || prompts.box !== null;
  return (
    <div className="stage-toolbar">
      <div className="stage-title">
        <strong>{image ? image.name : 'No image'}</strong>
        {image && (
          <span className="muted">
            {' '}
            {image.originalWidth}×{image.originalHeight}
            {image.originalWidth !== image.width && ` (shown at ${image.width}×${image.height})`}
          </span>
        )}
        {/* On its own line: the image name keeps the room when the columns are narrow. */}
        <div className="muted hint">Click: include · Shift/right-click: exclude · Drag: box · Tab: keys</div>
      </div>
      <button type="button" onClick={clearPrompts} disabled={!hasPrompts}>
        Clear prompts
      </button>
    </div>
  );
}
