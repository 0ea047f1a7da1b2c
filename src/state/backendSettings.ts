import type { BackendRequest } from '../core/sam/backendChoice';

/** What the user chose for the backend; kept across reloads, overridable by ?backend=…&threads=… in the URL. */
export interface BackendSettings {
  request: BackendRequest;
  /** null = automatic (min(4, cores)). */
  threads: number | null;
}

const storageKey = 'mixqsam.backend';
const requests: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm'];

export function loadBackendSettings(): BackendSettings {
  const settings: BackendSettings = { request: 'auto', threads: null };
  try {
    const stored = JSON.parse(localStorage.getItem(storageKey) ?? 'null') as Partial<BackendSettings> | null;
    if (stored && requests.includes(stored.request as BackendRequest)) settings.request = stored.request as BackendRequest;
    if (stored && typeof stored.threads === 'number' && stored.threads > 0) settings.threads = stored.threads;
  } catch {
    // Unreadable storage: keep the defaults.
  }
  const params = new URLSearchParams(location.search);
  const request = params.get('backend');
  if (request && requests.includes(request as BackendRequest)) settings.request = request as BackendRequest;
  const threads = Number(params.get('threads'));
  if (Number.isInteger(threads) && threads > 0) settings.threads = threads;
  return settings;
}

export function saveBackendSettings(settings: BackendSettings): void {
  try {
    localStorage.setItem(storageKey, JSON.stringify(settings));
  } catch {
    // Private mode or full storage: the choice lasts for this page only.
  }
}
