import type { StateCreator } from 'zustand';
import type { StudioState } from './store';

export interface Toast {
  id: number;
  /** Errors stay until dismissed; info and success close by themselves after `toastLifetimeMs`. */
  kind: 'error' | 'info' | 'success';
  title: string;
  detail: string;
}

export interface ToastsSlice {
  toasts: Toast[];
  pushToast(kind: Toast['kind'], title: string, detail?: string): void;
  dismissToast(id: number): void;
}

const maxToasts = 5;
let nextToastId = 1;

/**
 * How long a notice stays: time to read it (about 15 characters a second after a 4 s glance), 5 to 15 s;
 * null for errors, which stay until the person dismisses them.
 */
export function toastLifetimeMs(toast: Pick<Toast, 'kind' | 'title' | 'detail'>): number | null {
  if (toast.kind === 'error') return null;
  const characters = toast.title.length + toast.detail.length;
  return Math.min(15_000, Math.max(5_000, 4_000 + Math.round((characters / 15) * 1000)));
}

export const createToastsSlice: StateCreator<StudioState, [], [], ToastsSlice> = (set) => ({
  toasts: [],
  pushToast: (kind, title, detail = '') => {
    const toast = { id: nextToastId++, kind, title, detail };
    if (kind === 'error') console.error(`[studio] ${title}${detail ? ': ' + detail : ''}`);
    set((state) => ({ toasts: [...state.toasts, toast].slice(-maxToasts) }));
  },
  dismissToast: (id) => set((state) => ({ toasts: state.toasts.filter((toast) => toast.id !== id) })),
});

/** Message of anything thrown, for a toast. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
