/**
 * The built studio in Debian's Chromium for the browser benches: `vite preview` of a build folder in its
 * own process group (stopping it also stops the vite process npx starts), Chromium with WebGPU allowed.
 */
import { spawn } from 'node:child_process';
import { chromium, type Browser } from '@playwright/test';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function waitForServer(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`The preview server did not answer at ${url}`);
}

/** Serves `dist` on 127.0.0.1:`port`, opens Chromium, runs `work`, then closes both whatever happens. */
export async function withStudioBrowser<T>(dist: string, port: number, work: (browser: Browser, origin: string) => Promise<T>): Promise<T> {
  const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--outDir', dist], { stdio: 'ignore', detached: true });
  try {
    const origin = `http://127.0.0.1:${port}`;
    await waitForServer(`${origin}/`);
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
    try {
      return await work(browser, origin);
    } finally {
      await browser.close();
    }
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}
