import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { defineConfig, transformWithOxc, type Plugin, type ResolvedConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Cross-origin isolation lets onnxruntime-web use multi-threaded WASM (SharedArrayBuffer).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The user's model and images never leave the machine: only the app's own origin is reachable.
// 'wasm-unsafe-eval' compiles onnxruntime's and glpk's WASM; blob: serves glpk.js's own worker.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/** Adds the CSP as a meta tag to the built page, so any static host serving dist/ enforces it too. */
function cspMetaTag(): Plugin {
  return {
    name: 'csp-meta-tag',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head-prepend' },
    ],
  };
}

/** Every file under `dir`, as paths relative to it with forward slashes. */
function filesUnder(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name), root) : [relative(root, join(dir, entry.name)).split('\\').join('/')],
  );
}

/**
 * Writes sw.js (src/workers/offline.sw.ts) into the build with the list of every file the build emitted and a
 * version from their contents, so the studio works offline once loaded and a new build replaces the old cache.
 */
function offlineServiceWorker(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'offline-service-worker',
    apply: 'build',
    configResolved: (resolved) => {
      config = resolved;
    },
    closeBundle: async () => {
      const outDir = resolve(config.root, config.build.outDir);
      const files = filesUnder(outDir).filter((file) => file !== 'sw.js').sort();
      const hash = createHash('sha256');
      for (const file of files) hash.update(file).update(readFileSync(join(outDir, file)));
      const source = readFileSync(new URL('./src/workers/offline.sw.ts', import.meta.url), 'utf8');
      const { code } = await transformWithOxc(source, 'offline.sw.ts', { lang: 'ts' });
      // The page is served at the base URL itself: "./" rather than "index.html".
      const build = { version: hash.digest('hex').slice(0, 16), files: files.map((file) => (file === 'index.html' ? './' : file)) };
      writeFileSync(join(outDir, 'sw.js'), `const OFFLINE_BUILD = ${JSON.stringify(build)};\n${code}`);
    },
  };
}

export default defineConfig({
  plugins: [react(), cspMetaTag(), offlineServiceWorker()],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: { ...isolationHeaders, 'Content-Security-Policy': contentSecurityPolicy } },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
