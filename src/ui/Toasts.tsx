import { useStudio } from '../state/store';

/** Errors and notices, newest last; each names the file or action it is about. */
export function Toasts() {
  const toasts = useStudio((state) => state.toasts);
  const dismiss = useStudio((state) => state.dismissToast);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : undefined} data-testid="toast">
          <div className="toast-text">
            <strong>{toast.title}</strong>
            {toast.detail && <p>{toast.detail}</p>}
          </div>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
