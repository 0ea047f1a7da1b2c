import { useEffect, useRef } from 'react';
import { useGuide } from './guideStore';
import { guideSections } from './guideText';
import './guide.css';

/** The method in a few paragraphs, as a modal dialog opened from the header or from a "?" beside a term. */
export function MethodGuide() {
  const section = useGuide((state) => state.section);
  const close = useGuide((state) => state.close);
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (section === null) {
      if (dialog.open) dialog.close();
      return;
    }
    if (!dialog.open) dialog.showModal();
    const target = dialog.querySelector<HTMLElement>(`#guide-${section}`);
    target?.scrollIntoView({ block: 'start' });
    target?.focus({ preventScroll: true });
  }, [section]);
  return (
    <dialog ref={dialogRef} className="guide" aria-labelledby="guide-title" data-testid="method-guide" onClose={close}>
      <div className="guide-head">
        <h2 id="guide-title">How Mix-QSAM works</h2>
        <button type="button" onClick={close} aria-label="Close the guide">
          Close
        </button>
      </div>
      <div className="guide-body">
        {guideSections.map((entry) => (
          <section key={entry.id} id={`guide-${entry.id}`} tabIndex={-1} aria-labelledby={`guide-${entry.id}-title`} className={entry.id === section ? 'guide-current' : undefined}>
            <h3 id={`guide-${entry.id}-title`}>{entry.title}</h3>
            {entry.paragraphs.map((paragraph) => (
              <p key={paragraph.slice(0, 24)}>{paragraph}</p>
            ))}
          </section>
        ))}
      </div>
    </dialog>
  );
}
