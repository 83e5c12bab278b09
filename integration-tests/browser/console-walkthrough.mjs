// Walks through the Bulkhead console in Debian's Chromium, keyboard first, as a user would, and
// prints one JSON line per step. The integration test that runs it asserts on those lines.
//
// Pages: #/ the list (filter and sort in the URL), #/qube/NAME a qube's settings, #/settings the global ones.
//
// Usage: node console-walkthrough.mjs URL SECRET_FILE USER_DATA_DIR SCREENSHOT QUBE NETVM API_TOKEN VOLUME_QUBE FIREWALL_QUBE
// (VOLUME_QUBE: a halted qube whose private volume has kept revisions; FIREWALL_QUBE: a running qube behind a
// FirewallVM with a rule the FirewallVM cannot put in force)
import { readFileSync } from 'node:fs';
import { apiClient, openChromium, report } from './chromium.mjs';

const [url, secretFile, userDataDir, screenshot, qube, netvm, apiToken, volumeQube, firewallQube] = process.argv.slice(2);
const secret = readFileSync(secretFile, 'utf8').trim();

// Changes made by another client, a program with an API token: the page must see them arrive over
// its event stream.
const fromAnotherClient = apiClient(url, apiToken);

const { context, page } = await openChromium(userDataDir);
const consoleErrors = [];
// Chromium logs every refused request; those the walkthrough provokes on purpose are counted apart.
const REFUSED = /^Failed to load resource: the server responded with a status of (409|422) /;
let refusalsExpected = false;
const refusals = [];
page.on('console', m => {
  if (m.type() !== 'error') return;
  if (refusalsExpected && REFUSED.test(m.text())) refusals.push(m.text());
  else consoleErrors.push(m.text());
});
page.on('pageerror', e => consoleErrors.push(String(e)));
// Chromium's console names the status but not the URL: a server error names itself here.
const serverErrors = [];
page.on('response', r => { if (r.status() >= 500) serverErrors.push(`${r.request().method()} ${r.url()} ${r.status()}`); });
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

  // The list sorts by a click on a column header and filters as the user types; both live in the URL.
  await page.focus('#filter-text');
  await page.keyboard.type('br-');
  await page.waitForFunction(() => [...document.querySelectorAll('#qubes tbody tr')].every(r => r.dataset.qube.startsWith('br-')));
  await page.focus('th[data-sort="state"] button');
  await page.keyboard.press('Enter');
  await page.waitForSelector('th[data-sort="state"][aria-sort="ascending"]');
  const listUrl = await page.evaluate(() => location.hash);
  await page.reload();
  await page.waitForSelector(row);
  report('list-filter', { url: listUrl, filter: await page.inputValue('#filter-text'),
    rows: await page.$$eval('#qubes tbody tr', rs => rs.map(r => r.dataset.qube)),
    sort: await page.getAttribute('th[data-sort="state"]', 'aria-sort') });
  await page.focus('#filter-clear');
  await page.keyboard.press('Enter');

  // The qube's name leads to its own page, with a URL of its own.
  await page.focus(`a[aria-label="Settings of ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#page-qube[data-shown="${qube}"]`);
  report('qube-page', { url: await page.evaluate(() => location.hash), title: await page.textContent('#qube-title') });
  // The running qube's CPU and memory over the last minutes, from the platform's history.
  await page.waitForFunction(() => {
    const charts = [...document.querySelectorAll('#qube-usage svg[data-samples]')];
    return charts.length === 2 && charts.every(c => Number(c.dataset.samples) > 0);
  });
  report('qube-usage', { samples: await page.$$eval('#qube-usage svg[data-samples]', ss => ss.map(s => Number(s.dataset.samples))) });

  // The firewall's fields, one by one; Enter in a field adds the rule.
  await page.selectOption('#fw-proto', 'tcp');
  await page.focus('#fw-dsthost');
  await page.keyboard.type('192.0.2.1');
  await page.focus('#fw-dstports');
  await page.keyboard.type('443');
  await page.keyboard.press('Enter');
  const shownRule = 'action=accept proto=tcp dsthost=192.0.2.1/32 dstports=443';
  await page.waitForSelector(`#rules tr[data-rule="${shownRule}"]`);
  // behind the default accept-everything rule it never matches, and the table says so
  report('firewall-rule', { rules: await page.$$eval('#rules tr[data-rule]', rs => rs.map(r => r.dataset.rule)),
    shadowed: await page.$$eval('#rules tr[data-rule] .shadowed', ms => ms.map(m => m.getAttribute('aria-label'))) });

  // A new rule goes last, after the default accept-everything: moved up, it comes first; edited in
  // place with a port out of range, the platform refuses and says so next to the ports field.
  const added = await page.getAttribute(`#rules tr[data-rule="${shownRule}"]`, 'data-index');
  await page.focus(`button[aria-label="Move rule ${added} up"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#rules tr[data-index="${Number(added) - 1}"][data-rule="${shownRule}"]`);
  await page.focus(`button[aria-label="Edit rule ${Number(added) - 1}"]`);
  await page.keyboard.press('Enter');
  await page.focus('#fw-dstports');
  await page.fill('#fw-dstports', '70000');
  refusalsExpected = true;
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('error-fw-dstports').textContent.length > 0);
  refusalsExpected = false;
  const refusal = { error: await page.textContent('#error-fw-dstports'), role: await page.getAttribute('#error-fw-dstports', 'role'),
    invalid: await page.getAttribute('#fw-dstports', 'aria-invalid'), describedBy: await page.getAttribute('#fw-dstports', 'aria-describedby') };
  await page.fill('#fw-dstports', '8443');
  await page.keyboard.press('Enter');
  const edited = 'action=accept proto=tcp dsthost=192.0.2.1/32 dstports=8443';
  await page.waitForSelector(`#rules tr[data-rule="${edited}"]`);
  report('firewall-edit', { refusal, rules: await page.$$eval('#rules tr[data-rule]', rs => rs.map(r => r.dataset.rule)),
    shadowed: await page.$$eval('#rules tr[data-rule] .shadowed', ms => ms.length) });

  // Typed properties: the label is a select of labels, memory a number; Default takes the value away again.
  await page.selectOption('#prop-label', 'green');
  await page.focus('button[aria-label="Set label"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(q => document.getElementById('qube-state').textContent.includes('label green'), qube);
  await page.fill('#prop-memory', '512');
  await page.focus('#prop-memory');
  await page.keyboard.press('Enter');
  await page.waitForSelector('form[data-property="memory"][data-default="false"]');
  const memorySet = await page.inputValue('#prop-memory');
  await page.focus('button[aria-label="Reset memory to its default"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('form[data-property="memory"][data-default="true"]');
  report('properties', { label: await page.inputValue('#prop-label'), netvmChoices: await page.$$eval('#prop-netvm option', os => os.map(o => o.value)),
    memorySet, memoryMax: await page.getAttribute('#prop-memory', 'max'), memoryAfterReset: await page.inputValue('#prop-memory') });

  // Features: added, set and removed here; one a role reports (a TorVM's bootstrap, say) appears without a reload.
  await page.focus('#feature-key');
  await page.keyboard.type('demo.flag');
  await page.focus('#feature-value');
  await page.keyboard.type('1');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#features tr[data-feature="demo.flag"]');
  await fromAnotherClient('PUT', `/api/qubes/${qube}/features/tor.bootstrap`, { value: '42' });
  await page.waitForFunction(() => {
    const input = document.getElementById('feature-tor.bootstrap');
    return input && input.value === '42';
  });
  await page.focus('button[aria-label="Remove feature demo.flag"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#features tr[data-feature="demo.flag"]', { state: 'detached' });
  report('features', { features: await page.$$eval('#features tr[data-feature]', rs => rs.map(r => r.dataset.feature)),
    roles: await page.$$eval('#role-select option', os => os.map(o => o.value)) });

  await page.focus('#tag-name');
  await page.keyboard.type('demo-tag');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#tags li[data-tag="demo-tag"]');
  const tagged = await page.$$eval('#tags li[data-tag]', ls => ls.map(l => l.dataset.tag));
  await page.focus('button[aria-label="Remove tag demo-tag"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#tags li[data-tag="demo-tag"]', { state: 'detached' });
  report('tags', { tagged });

  await page.waitForSelector('#volumes tr[data-volume="private"]');
  await page.waitForFunction(() => document.getElementById('qube-log').textContent.length > 0);
  report('volumes-log', { volumes: await page.$$eval('#volumes tr[data-volume]', rs => rs.map(r => r.dataset.volume)),
    log: (await page.textContent('#qube-log')).length });

  // The qube's windows on dom0's display: this platform runs without the gui feature, so the page says so.
  await page.waitForFunction(() => document.getElementById('windows-note').textContent === 'GUI not installed');
  report('windows', { note: await page.textContent('#windows-note'),
    rows: await page.$$eval('#windows tbody tr', rs => rs.map(r => r.textContent)) });
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-qube.png'), fullPage: true });

  // The page survives a reload, and the back button goes back to the list.
  await page.reload();
  await page.waitForSelector(`#page-qube[data-shown="${qube}"]`);
  const reloaded = await page.evaluate(() => location.hash);
  await page.goBack();
  await page.waitForSelector('#page-list:not([hidden])');
  report('reload-back', { reloaded, back: await page.evaluate(() => location.hash) });

  await page.waitForSelector(`#topology g[data-qube="${qube}"]`);
  await page.waitForSelector(`#topology line[data-edge="${qube}->${netvm}"]`, { state: 'attached' });
  await page.waitForSelector(`#topology line[data-edge="${netvm}->outside"]`, { state: 'attached' });
  report('topology', {
    nodes: await page.$$eval('#topology g[data-qube]', gs => gs.map(g => g.dataset.qube)),
    edges: await page.$$eval('#topology line[data-edge]', ls => ls.map(l => l.dataset.edge)),
    legend: await page.$$eval('#topology .legend li', ls => ls.length),
  });

  await page.waitForFunction(r => {
    const cpu = document.querySelector(`${r} td.cpu`);
    const mem = document.querySelector(`${r} td.mem`);
    return cpu && mem && /%/.test(cpu.textContent) && /MiB/.test(mem.textContent)
      && mem.querySelector('polyline') && mem.querySelector('polyline').getAttribute('points').split(' ').length >= 2;
  }, row);
  report('graphs', { cpu: await page.textContent(`${row} td.cpu`), memory: await page.textContent(`${row} td.mem`) });
  await page.screenshot({ path: screenshot, fullPage: true });

  // A node of the picture opens its qube's page.
  await page.focus(`#topology a[aria-label^="Open ${netvm}:"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#page-qube[data-shown="${netvm}"]`);
  report('topology-click', { url: await page.evaluate(() => location.hash) });

  // Global settings: selects of the qubes each setting may name.
  await page.focus('#nav a[data-page="settings"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#page-settings[data-shown]');
  await page.selectOption('#global-default_netvm', netvm);
  await page.focus('button[aria-label="Set default_netvm"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(n => document.getElementById('status').textContent === `default_netvm set to ${n}`, netvm);
  report('settings', { url: await page.evaluate(() => location.hash), settings: await page.$$eval('#global form', fs => fs.map(f => f.dataset.global)),
    defaultNetvm: await page.inputValue('#global-default_netvm') });

  // Restart: down and up again, the page following.
  await page.goto(`${url.replace(/\/$/, '')}/#/qube/${qube}`);
  await page.waitForSelector(`#page-qube[data-shown="${qube}"]`);
  await page.focus(`#qube-actions button[aria-label="Restart ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(q => document.getElementById('status').textContent === `Restart: ${q}`, qube);
  report('restarted', { state: await page.textContent('#qube-state') });

  await page.focus(`#qube-actions button[aria-label="Pause ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('qube-state').textContent.startsWith('Paused'));
  const paused = await page.textContent('#qube-state');
  await page.focus(`#qube-actions button[aria-label="Unpause ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('qube-state').textContent.startsWith('Running'));
  report('paused', { paused, state: await page.textContent('#qube-state') });

  // Kill asks first: Cancel leaves the qube running, Kill in the dialog kills it.
  await page.focus(`#qube-actions button[aria-label="Kill ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#ask[open]');
  const asked = await page.textContent('#ask-title');
  await page.keyboard.press('Enter'); // the focus is on Cancel
  await page.waitForSelector('#ask:not([open])', { state: 'attached' });
  const stillRunning = await page.evaluate(q => fetch(`/api/qubes/${q}`).then(r => r.json()).then(j => j.state), qube);
  await page.focus(`#qube-actions button[aria-label="Kill ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#ask[open]');
  await page.focus('#ask-ok');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('qube-state').textContent.startsWith('Halted'));
  report('kill-confirmed', { asked, stillRunning, state: await page.textContent('#qube-state') });

  // Clone asks for a name; a name taken is refused next to the field, in the dialog.
  const copy = `${qube}-copy`;
  await page.focus(`#qube-actions button[aria-label="Clone ${qube}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#ask[open]');
  await page.fill('#ask-input', netvm);
  refusalsExpected = true;
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('ask-error').textContent.length > 0);
  refusalsExpected = false;
  const cloneRefusal = await page.textContent('#ask-error');
  await page.fill('#ask-input', copy);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#page-qube[data-shown="${copy}"]`);
  // a role makes a qube part of the network: here a NetVM
  await page.selectOption('#role-select', 'netvm');
  await page.focus('#role-form button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#features tr[data-feature="role"]');
  const role = await page.inputValue('#feature-role');
  await page.focus(`#qube-actions button[aria-label="Remove ${copy}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#ask[open]');
  await page.focus('#ask-ok');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#page-list:not([hidden])');
  await page.waitForSelector(`#qubes tr[data-qube="${copy}"]`, { state: 'detached' });
  report('clone-remove', { cloneRefusal, role, url: await page.evaluate(() => location.hash) });

  // Force shut down asks first too.
  await page.goto(`${url.replace(/\/$/, '')}/#/qube/${netvm}`);
  await page.waitForSelector(`#page-qube[data-shown="${netvm}"]`);
  await page.focus(`#qube-actions button[aria-label="Force shut down ${netvm}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#ask[open]');
  await page.focus('#ask-ok');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('qube-state').textContent.startsWith('Halted'));
  report('force-shutdown', { state: await page.textContent('#qube-state') });

  // A halted qube's private volume goes back to a kept revision, after a confirmation; that revision is used up.
  await page.goto(`${url.replace(/\/$/, '')}/#/qube/${volumeQube}`);
  await page.waitForSelector(`#page-qube[data-shown="${volumeQube}"]`);
  const revisionsOf = () => page.$$eval('#volumes tr[data-volume="private"] li[data-revision]', ls => ls.map(l => l.dataset.revision));
  await page.waitForSelector('#volumes tr[data-volume="private"] li[data-revision]');
  const revisionsBefore = await revisionsOf();
  await page.focus(`#volumes button[aria-label="Revert private to ${revisionsBefore[0]}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#ask[open]');
  const revertAsked = await page.textContent('#ask-title');
  await page.focus('#ask-ok');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#volumes li[data-revision="${revisionsBefore[0]}"]`, { state: 'detached' });
  await page.waitForFunction(() => / reverted to /.test(document.getElementById('status').textContent));
  report('volume-revert', { asked: revertAsked, before: revisionsBefore, after: await revisionsOf(),
    status: await page.textContent('#status') });

  // What the qube's FirewallVM cannot put in force is said above its rules.
  await page.goto(`${url.replace(/\/$/, '')}/#/qube/${firewallQube}`);
  await page.waitForSelector(`#page-qube[data-shown="${firewallQube}"]`);
  await page.waitForSelector('#firewall-problems:not([hidden]) li');
  report('firewall-problems', { problems: await page.$$eval('#firewall-problems li', ls => ls.map(l => l.textContent)) });

  report('done', { consoleErrors, serverErrors, refusals });
} catch (e) {
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  report('failed', { error: String(e && e.stack || e), consoleErrors, serverErrors, status: await page.textContent('#status').catch(() => '') });
  process.exitCode = 1;
} finally {
  await context.close();
}
