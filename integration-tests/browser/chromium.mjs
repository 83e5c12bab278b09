// What the browser flows share: Debian's Chromium with a profile of the test's own, one JSON line per
// step, and a second client of the Admin API holding an API token.
import { chromium } from 'playwright-core';

export const STEP_TIMEOUT = 30000;

/** Prints one step as a JSON line; the integration test asserts on those lines. */
export function report(step, detail = {}) {
  console.log(JSON.stringify({ step, ...detail }));
}

/** A client of the Admin API at url with a bearer token, as a program other than the page would be. */
export function apiClient(url, apiToken) {
  return async (method, path, body) => {
    const res = await fetch(url.replace(/\/$/, '') + path, {
      method,
      headers: { Authorization: `Bearer ${apiToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  };
}

/** Debian's Chromium, headless, with nothing reaching out on its own; its first page. */
export async function openChromium(userDataDir) {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
  });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = context.pages()[0] || await context.newPage();
  return { context, page };
}
