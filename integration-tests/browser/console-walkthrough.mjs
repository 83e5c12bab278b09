// Walks through the Bulkhead console in Debian's Chromium, keyboard first, as a user would, and
// prints one JSON line per step. The integration test that runs it asserts on those lines.
//
// Usage: node console-walkthrough.mjs URL SECRET_FILE USER_DATA_DIR SCREENSHOT QUBE NETVM API_TOKEN
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, secretFile, userDataDir, screenshot, qube, netvm, apiToken] = process.argv.slice(2);
const secret = readFileSync(secretFile, 'utf8').trim();
const STEP_TIMEOUT = 30000;
const RULE = 'action=accept proto=tcp dsthost=192.0.2.1 dstports=443';

function report(step, detail = {}) {
  console.log(JSON.stringify({ step, ...detail }));
}

// Changes made by another client, a program with an API token: the page must see them arrive over
// its event stream.
async function fromAnotherClient(method, path, body) {
  const res = await fetch(url.replace(/\/$/, '') + path, {
    method,
    headers: { Authorization: `Bearer ${apiToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
});
context.setDefaultTimeout(STEP_TIMEOUT);
const page = context.pages()[0] || await context.newPage();
const consoleErrors = [];
page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', e => consoleErrors.push(String(e)));
const row = `#qubes tr[data-qube="${qube}"]`;

try {
  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  // The login field has the focus: the secret is typed and Enter submits.
  await page.keyboard.type(secret);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live');
  await page.evaluate(() => { window.bulkheadLoadMarker = 'first load'; });
  // The session cookie is __Host- prefixed, hence Secure: the browser keeps it over http on loopback.
  const cookies = (await context.cookies()).map(c => ({ name: c.name, secure: c.secure, httpOnly: c.httpOnly, sameSite: c.sameSite }));
  report('logged-in', { live: await page.textContent('#live'), cookies });

  await page.focus('#create-name');
  await page.keyboard.type(qube);
  await page.selectOption('#create-label', 'blue');
  await page.selectOption('#create-netvm', netvm);
  await page.focus('#create-name');
  await page.keyboard.press('Enter');
  await page.waitForSelector(row);
  report('created', { state: await page.getAttribute(row, 'data-state') });

  // What a role says about its qube (a NetVM with no uplink) is shown next to it in the table.
  const notice = `tr[data-qube="${netvm}"] .notice`;
  await page.waitForSelector(notice);
  report('notice', { notice: await page.getAttribute(notice, 'aria-label') });

  await page.focus(`button[aria-label="Start ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`${row}[data-state="Running"]`);
  report('started', { state: await page.getAttribute(row, 'data-state') });

  // Killed by someone else: the table follows without a reload.
  await fromAnotherClient('POST', `/api/qubes/${qube}/actions/kill`, {});
  await page.waitForSelector(`${row}[data-state="Halted"]`);
  const marker = await page.evaluate(() => window.bulkheadLoadMarker);
  const navigations = await page.evaluate(() => performance.getEntriesByType('navigation').length);
  report('live-update', { state: await page.getAttribute(row, 'data-state'), marker, navigations });

  await page.focus(`button[aria-label="Start ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`${row}[data-state="Running"]`);
  report('started-again', { state: await page.getAttribute(row, 'data-state') });

  await page.focus(`button[aria-label="Details of ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#details[data-shown="${qube}"]`);
  await page.focus('#rule-text');
  await page.keyboard.type(RULE);
  await page.keyboard.press('Enter');
  const shownRule = 'action=accept proto=tcp dsthost=192.0.2.1/32 dstports=443';
  await page.waitForSelector(`#rules li[data-rule="${shownRule}"]`);
  report('firewall-rule', { rules: await page.$$eval('#rules li', lis => lis.map(li => li.dataset.rule)) });

  // A feature a role reports (a TorVM's bootstrap, say) appears in the open details without a reload.
  await fromAnotherClient('PUT', `/api/qubes/${qube}/features/tor.bootstrap`, { value: '42' });
  await page.waitForFunction(() => {
    const row = document.querySelector('#features tr[data-feature="tor.bootstrap"]');
    return row && row.cells[1].textContent === '42';
  });
  report('features', { features: await page.$$eval('#features tr[data-feature]', rs => rs.map(r => r.dataset.feature)) });

  // The qube's windows on dom0's display: this platform runs without the gui feature, so the details say so.
  await page.waitForFunction(() => document.getElementById('windows-note').textContent === 'GUI not installed');
  report('windows', { note: await page.textContent('#windows-note'),
    rows: await page.$$eval('#windows tbody tr', rs => rs.map(r => r.textContent)) });

  await page.waitForSelector(`#topology g[data-qube="${qube}"]`);
  await page.waitForSelector(`#topology line[data-edge="${qube}->${netvm}"]`, { state: 'attached' });
  await page.waitForSelector(`#topology line[data-edge="${netvm}->outside"]`, { state: 'attached' });
  report('topology', {
    nodes: await page.$$eval('#topology g[data-qube]', gs => gs.map(g => g.dataset.qube)),
    edges: await page.$$eval('#topology line[data-edge]', ls => ls.map(l => l.dataset.edge)),
  });

  await page.waitForFunction(r => {
    const cpu = document.querySelector(`${r} td.cpu`);
    const mem = document.querySelector(`${r} td.mem`);
    return cpu && mem && /%/.test(cpu.textContent) && /MiB/.test(mem.textContent)
      && mem.querySelector('polyline') && mem.querySelector('polyline').getAttribute('points').split(' ').length >= 2;
  }, row);
  report('graphs', { cpu: await page.textContent(`${row} td.cpu`), memory: await page.textContent(`${row} td.mem`) });

  await page.screenshot({ path: screenshot, fullPage: true });
  report('done', { consoleErrors });
} catch (e) {
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  report('failed', { error: String(e && e.stack || e), consoleErrors, status: await page.textContent('#status').catch(() => '') });
  process.exitCode = 1;
} finally {
  await context.close();
}
