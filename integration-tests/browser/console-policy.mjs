// The console's policy in Debian's Chromium: a prompt the platform opens while the page is shown comes over
// the event stream as a dialog, lists the targets with the default first and is answered with another one; the
// policy page lists the recent calls and a new one live; a policy file with an error is refused with its
// file:line next to the editor, then fixed and saved. One JSON line per step; ConsolePolicyBrowserIT opens the
// prompt and records the call when it reads the steps "ready" and "policy-page", and asserts on the lines.
//
// Usage: node console-policy.mjs URL SECRET_FILE USER_DATA_DIR SCREENSHOT
import { readFileSync } from 'node:fs';
import { openChromium, report } from './chromium.mjs';

const [url, secretFile, userDataDir, screenshot] = process.argv.slice(2);
const secret = readFileSync(secretFile, 'utf8').trim();

const { context, page } = await openChromium(userDataDir);
const consoleErrors = [];
page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', e => consoleErrors.push(String(e)));

try {
  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  await page.keyboard.type(secret);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live');
  report('ready');

  // the test opens a prompt now: it reaches the page over the event stream
  await page.waitForSelector('#prompt-dialog[open]', { timeout: 60000 });
  const shown = await page.evaluate(() => ({
    text: document.getElementById('prompt-text').textContent,
    targets: [...document.querySelectorAll('#prompt-targets input')].map(i => i.value),
    checked: document.querySelector('#prompt-targets input:checked').value,
    labels: [...document.querySelectorAll('#prompt-targets label')].map(l => l.textContent.trim()),
    left: document.getElementById('prompt-left').textContent,
  }));
  report('prompt-shown', shown);
  await page.check(`#prompt-targets input[value="${shown.targets[1]}"]`);
  await page.click('#prompt-allow');
  await page.waitForSelector('#prompt-dialog', { state: 'hidden' });
  report('prompt-answered', { target: shown.targets[1] });

  await page.click('#nav a[data-page="policy"]');
  await page.waitForSelector('#policy-page:not([hidden]) #policy-calls');
  await page.waitForFunction(() => document.querySelectorAll('#policy-calls tbody tr').length > 0);
  report('policy-page', { hash: await page.evaluate(() => location.hash), rows: await page.$$eval('#policy-calls tbody tr', rs => rs.map(r => r.textContent)) });
  // the test records a call now: the list shows it without a reload
  await page.waitForFunction(() => [...document.querySelectorAll('#policy-calls tbody tr')].some(r => r.textContent.includes('live-src')));
  report('call-live', { first: await page.$eval('#policy-calls tbody tr', r => [...r.cells].map(c => c.textContent)) });

  await page.fill('#policy-new', '30-user.policy');
  await page.click('#policy-new-open');
  await page.waitForSelector('#policy-editor:not([hidden])');
  await page.fill('#policy-text', '# mine\nqubes.Filecopy * @adminvm @anyvm alow\n');
  await page.click('#policy-save');
  await page.waitForFunction(() => document.getElementById('policy-error').textContent !== '');
  report('refused', { error: await page.textContent('#policy-error'), result: await page.textContent('#policy-result'),
    files: await page.$$eval('#policy-file option', os => os.map(o => o.value)) });

  await page.fill('#policy-text', '# mine\nqubes.Filecopy * @adminvm @anyvm allow\n');
  await page.click('#policy-check');
  await page.waitForFunction(() => document.getElementById('policy-result').textContent !== '');
  report('checked', { error: await page.textContent('#policy-error'), result: await page.textContent('#policy-result') });
  await page.click('#policy-save');
  await page.waitForFunction(() => document.getElementById('policy-result').textContent.startsWith('Saved'));
  await page.waitForFunction(() => [...document.querySelectorAll('#policy-file option')].some(o => o.value === '30-user.policy'));
  report('saved', { error: await page.textContent('#policy-error'), result: await page.textContent('#policy-result'),
    files: await page.$$eval('#policy-file option', os => os.map(o => o.value)) });

  await page.screenshot({ path: screenshot, fullPage: true });
  report('done', { consoleErrors });
} catch (e) {
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  report('failed', { error: String(e && e.stack || e), consoleErrors, status: await page.textContent('#status').catch(() => '') });
  process.exitCode = 1;
} finally {
  await context.close();
}
