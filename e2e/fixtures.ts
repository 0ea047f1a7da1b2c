import { test as base, expect } from '@playwright/test';

/**
 * Every spec records the page's requests and fails if any goes to another origin:
 * the user's model and images must never leave the machine.
 */
export const test = base.extend<{ foreignRequests: string[] }>({
  foreignRequests: [
    async ({ page, baseURL }, use) => {
      const appOrigin = new URL(baseURL ?? 'http://127.0.0.1:4173').origin;
      const foreign: string[] = [];
      page.on('request', (request) => {
        const url = request.url();
        if (url.startsWith('data:') || url.startsWith('blob:')) return;
        if (new URL(url).origin !== appOrigin) foreign.push(url);
      });
      await use(foreign);
      expect(foreign, 'requests to other origins').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
