import type { StateCreator } from 'zustand';
import type { StudioState } from './store';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
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
