// The console's templates page and CPU/memory charts in Debian's Chromium, keyboard first, printing
// one JSON line per step; ConsoleTemplatesBrowserIT asserts on those lines.
//
// Usage: node console-templates.mjs URL SECRET_FILE USER_DATA_DIR SCREENSHOT RUNNING_QUBE PACKAGE TEMPLATE TAMPERED_FILE API_TOKEN
import { readFileSync } from 'node:fs';
import { apiClient, openChromium, report } from './chromium.mjs';

const [url, secretFile, userDataDir, screenshot, running, pkg, template, tampered, apiToken] = process.argv.slice(2);
const secret = readFileSync(secretFile, 'utf8').trim();

const fromAnotherClient = apiClient(url, apiToken);

const { context, page } = await openChromium(userDataDir);
const consoleErrors = [];
page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', e => consoleErrors.push(String(e)));
const dialogs = [];
page.on('dialog', d => { dialogs.push(d.message()); d.accept(); });

try {
  // Before the login, the page is told to note the charts of the running qube the moment its row is
  // first drawn: they must hold the platform's history then, not start empty.
  await page.addInitScript(qube => {
    window.bulkheadFirstPaint = null;
    new MutationObserver((_, observer) => {
      const cells = document.querySelectorAll(`#qubes tr[data-qube="${qube}"] svg[data-samples]`);
      if (cells.length === 2 && !window.bulkheadFirstPaint) {
        window.bulkheadFirstPaint = { cpu: Number(cells[0].dataset.samples), memory: Number(cells[1].dataset.samples),
          memoryText: cells[1].closest('td').querySelector('.figure').textContent };
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  }, running);
  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  await page.keyboard.type(secret);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => window.bulkheadFirstPaint !== null);
  const first = await page.evaluate(() => window.bulkheadFirstPaint);
  const row = `#qubes tr[data-qube="${running}"]`;
  // measured once the list is shown: the row may be drawn before the page that holds it is
  await page.waitForSelector(`${row} td.mem svg`, { state: 'visible' });
  const size = await page.$eval(`${row} td.mem svg`, s => ({ width: s.getBoundingClientRect().width, height: s.getBoundingClientRect().height }));
  report('history-at-first-paint', { ...first, size });

  // The larger chart the qube page embeds, drawn by the function charts.js exports.
  await page.evaluate(async qube => {
    const { drawUsage } = await import('/charts.js');
    const box = document.createElement('div');
    box.id = 'usage-test';
    document.body.append(box);
    drawUsage(box, qube);
  }, running);
  await page.waitForFunction(() => document.querySelectorAll('#usage-test .usage-large svg[data-samples]').length === 2);
  report('usage-chart', {
    charts: await page.$$eval('#usage-test svg', ss => ss.map(s => ({ samples: Number(s.dataset.samples), label: s.getAttribute('aria-label'),
      width: s.getBoundingClientRect().width }))),
    captions: await page.$$eval('#usage-test figcaption', fs => fs.map(f => f.textContent)),
  });
  // It follows new samples while it is shown.
  const before = await page.$eval('#usage-test svg', s => s.querySelector('polyline').getAttribute('points'));
  await page.waitForFunction(b => document.querySelector('#usage-test svg polyline').getAttribute('points') !== b, before);
  report('usage-live');

  // The templates page, from the header link.
  await page.focus('#templates-link');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#templates-page:not([hidden])');
  await page.waitForSelector(`#templates-available tr[data-package="${pkg}"] button`);
  report('templates-page', { hash: await page.evaluate(() => location.hash),
    qubesHidden: await page.$eval('#qubes', t => t.offsetParent === null),
    available: await page.$$eval('#templates-available tr[data-package]', rs => rs.map(r => r.dataset.package)) });

  await page.evaluate(() => {
    window.bulkheadProgressSeen = false;
    new MutationObserver(() => { if (document.querySelector('#template-installs progress')) window.bulkheadProgressSeen = true; })
      .observe(document.getElementById('template-installs'), { childList: true, subtree: true });
  });
  await page.press(`#templates-page button[aria-label="Install package ${pkg}"]`, 'Enter');
  await page.waitForSelector(`#templates-installed tr[data-template="${template}"]`);
  report('installed', { progressSeen: await page.evaluate(() => window.bulkheadProgressSeen),
    job: await page.$eval('#template-installs li', li => ({ state: li.dataset.state, text: li.textContent })),
    row: await page.$eval(`#templates-installed tr[data-template="${template}"]`, r => [...r.cells].map(c => c.textContent)) });

  await page.press(`#templates-page button[aria-label="Verify template ${template}"]`, 'Enter');
  await page.waitForSelector(`#templates-installed [data-note="${template}"][data-verified]`);
  report('verified', { note: await page.textContent(`#templates-installed [data-note="${template}"]`) });

  // A package changed after it was signed is refused, and the page says why.
  await page.setInputFiles('#template-file', tampered);
  await page.focus('#template-file');
  await page.$eval('#template-upload', f => f.requestSubmit());
  await page.waitForSelector('#template-installs li[data-state="failed"]');
  report('tampered-refused', { text: await page.textContent('#template-installs li[data-state="failed"]') });

  // In use by a qube another client made: the removal is refused next to its button.
  // The page follows the change without being asked.
  await fromAnotherClient('POST', '/api/qubes', { name: 'tpl-user', label: 'red', klass: 'AppVM', properties: { template } });
  await page.waitForFunction(t => document.querySelector(`#templates-installed tr[data-template="${t}"] td.users`)
    && document.querySelector(`#templates-installed tr[data-template="${t}"] td.users`).textContent.includes('tpl-user'), template);
  await page.press(`#templates-page button[aria-label="Remove template ${template}"]`, 'Enter');
  await page.waitForFunction(t => /still used/.test(document.querySelector(`#templates-installed [data-note="${t}"]`).textContent), template);
  report('remove-refused', { note: await page.textContent(`#templates-installed [data-note="${template}"]`), dialogs });

  await fromAnotherClient('DELETE', '/api/qubes/tpl-user');
  await page.press(`#templates-page button[aria-label="Remove template ${template}"]`, 'Enter');
  await page.waitForSelector(`#templates-installed tr[data-template="${template}"]`, { state: 'detached' });
  report('removed', { available: await page.$$eval(`#templates-available tr[data-package="${pkg}"] button`, bs => bs.length) });

  // Back to the qubes: their table is shown again.
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('#templates-page[hidden]', { state: 'attached' });
  await page.waitForSelector('#qubes', { state: 'visible' });
  await page.screenshot({ path: screenshot, fullPage: true });
  report('done', { consoleErrors });
} catch (e) {
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  report('failed', { error: String(e && e.stack || e), consoleErrors, dialogs, status: await page.textContent('#status').catch(() => ''),
    focused: await page.evaluate(() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)).catch(() => '') });
  process.exitCode = 1;
} finally {
  await context.close();
}
