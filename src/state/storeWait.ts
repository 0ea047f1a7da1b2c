import type { StoreApi } from 'zustand';
import type { StudioState } from './store';

/** Resolves with the store's state once `predicate` holds (for tests that drive the real store). */
export function until(store: StoreApi<StudioState>, predicate: (state: StudioState) => boolean, timeoutMs = 10_000): Promise<StudioState> {
  return new Promise((resolve, reject) => {
    if (predicate(store.getState())) return resolve(store.getState());
    const timer = setTimeout(() => reject(new Error('timed out waiting for the store')), timeoutMs);
    const stop = store.subscribe((state) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      stop();
      resolve(state);
    });
  });
}
