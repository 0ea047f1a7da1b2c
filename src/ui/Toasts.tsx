import { useEffect, useState } from 'react';
import { useStudio } from '../state/store';
import { toastLifetimeMs, type Toast } from '../state/toastsSlice';

/**
 * Errors and notices, newest last; each names the file or action it is about. They sit above the image, in the
 * page's flow, so they never cover a control; notices close by themselves (not while pointed at or focused),
 * errors stay until dismissed.
 */
export function Toasts() {
  const toasts = useStudio((state) => state.toasts);
  const dismiss = useStudio((state) => state.dismissToast);
  return (
    <div className="toasts" role="status" aria-live="polite" data-count={toasts.length}>
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} dismiss={dismiss} />
      ))}
    </div>
  );
}

function ToastItem({ toast, dismiss }: { toast: Toast; dismiss: (id: number) => void }) {
  const [held, setHeld] = useState(false);
  const lifetimeMs = toastLifetimeMs(toast);
  useEffect(() => {
    if (lifetimeMs === null || held) return;
    // Pointing at or focusing the toast holds it; letting go starts its full time again.
    const timer = window.setTimeout(() => dismiss(toast.id), lifetimeMs);
    return () => window.clearTimeout(timer);
  }, [lifetimeMs, held, dismiss, toast.id]);
  return (
    <div
      className={`toast toast-${toast.kind}`}
      role={toast.kind === 'error' ? 'alert' : undefined}
      data-testid="toast"
      data-kind={toast.kind}
      onPointerEnter={() => setHeld(true)}
      onPointerLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <div className="toast-text">
        <strong>{toast.title}</strong>
        {toast.detail && <p>{toast.detail}</p>}
      </div>
      <button type="button" className="toast-close" aria-label="Dismiss" title="Dismiss" onClick={() => dismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}
