import { useEffect, useRef, type ReactNode } from 'react';
import './confirmDialog.css';

export interface ConfirmRequest {
  title: string;
  /** What will be replaced or deleted, in words. */
  message: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
}

/**
 * Asks before something is replaced or deleted: a modal <dialog> in the page (Escape or Cancel keeps
 * everything). Cancel has the focus, so Enter never deletes by accident.
 */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (request && !dialog.open) dialog.showModal();
    if (!request && dialog.open) dialog.close();
  }, [request]);
  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      aria-labelledby="confirm-dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {request && (
        <>
          <h2 id="confirm-dialog-title">{request.title}</h2>
          <div className="confirm-dialog-message">{request.message}</div>
          <div className="confirm-dialog-actions">
            <button type="button" autoFocus onClick={onClose}>
              Cancel
            </button>
            <button
              type="button"
              className="confirm-dialog-confirm"
              onClick={() => {
                onClose();
                request.onConfirm();
              }}
            >
              {request.confirmLabel}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
