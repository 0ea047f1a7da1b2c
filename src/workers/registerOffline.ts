/**
 * Registers the offline service worker (offline.sw.ts, built to sw.js) in a production build. Once it
 * controls the page, every file of the build is stored: the lazily started workers and their WASM load
 * offline too. `data-offline` on the root element says where that stands ("ready" once stored).
 */
export type OfflineState = 'unsupported' | 'installing' | 'ready' | 'failed';

function show(state: OfflineState): void {
  document.documentElement.dataset.offline = state;
}

export async function registerOffline(): Promise<OfflineState> {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) {
    show('unsupported');
    return 'unsupported';
  }
  show('installing');
  try {
    const registration = await navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`);
    const installing = registration.installing;
    // An install that cannot store every file ends redundant: say so instead of waiting for ever.
    const redundant = new Promise<never>((_, reject) =>
      installing?.addEventListener('statechange', () => {
        if (installing.state === 'redundant') reject(new Error('the service worker could not store every file of the build'));
      }),
    );
    await Promise.race([navigator.serviceWorker.ready, redundant]);
    // clients.claim() in the worker's activate: wait until this page is controlled, so its requests are served from the cache.
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
    }
    show('ready');
    return 'ready';
  } catch (error) {
    // Without it the studio still works online; only the offline promise is lost.
    console.warn('The studio could not store its files for offline use:', error);
    show('failed');
    return 'failed';
  }
}
