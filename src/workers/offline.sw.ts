/// <reference lib="webworker" />
/**
 * The service worker that makes the studio work offline once it has loaded: at install it stores every file
 * of the build (page, scripts, workers, onnxruntime's WASM, the demo model) in one cache named for the build;
 * afterwards those files come from the cache, and the page itself from the network when it can be reached.
 * A classic script, not a module: the build (vite.config.ts offlineServiceWorker) writes it to sw.js with
 * OFFLINE_BUILD defined in front of it, and registerOffline.ts registers it.
 */
declare const OFFLINE_BUILD: { version: string; files: string[] };

const offlineScope = self as unknown as ServiceWorkerGlobalScope;
const offlineCacheName = `mix-qsam-${OFFLINE_BUILD.version}`;

offlineScope.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(offlineCacheName);
      // cache: 'no-store' bypasses the HTTP cache both ways: what is stored is what this build serves, and the
      // page's own requests for the same files (the demo model at startup) never contend for its entries.
      await Promise.all(OFFLINE_BUILD.files.map((file) => cache.add(new Request(new URL(file, offlineScope.registration.scope), { cache: 'no-store' }))));
      await offlineScope.skipWaiting();
    })(),
  );
});

offlineScope.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith('mix-qsam-') && name !== offlineCacheName) await caches.delete(name);
      await offlineScope.clients.claim();
    })(),
  );
});

async function offlineResponse(request: Request): Promise<Response> {
  const cache = await caches.open(offlineCacheName);
  if (request.mode === 'navigate') {
    // The page from the network when online (a new build is picked up), else the stored one.
    try {
      return await fetch(request);
    } catch (error) {
      const page = await cache.match(new URL('./', offlineScope.registration.scope).href, { ignoreVary: true });
      if (page) return page;
      throw error;
    }
  }
  // Build files have content-hashed names: the stored copy is the right one.
  // ignoreVary: the server answers with Vary: Origin, and module imports send an Origin the install did not.
  return (await cache.match(request, { ignoreSearch: true, ignoreVary: true })) ?? fetch(request);
}

offlineScope.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== offlineScope.location.origin) return;
  event.respondWith(offlineResponse(request));
});
