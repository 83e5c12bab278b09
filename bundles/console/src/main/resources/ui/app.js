// The Bulkhead console: plain JavaScript, talking to the Admin API on the same origin only.
import { drawTopology } from './topology.js';
import { loadHistory, refreshHistory, usageCells } from './charts.js';
import { showTemplates, hideTemplates, refreshTemplates } from './templates.js';

const LABELS = ['red', 'orange', 'yellow', 'green', 'gray', 'blue', 'purple', 'black'];
const STATS_PERIOD_MS = 2000;
// A window title is the qube's text: at most this many characters (as dom0's GUI decoder keeps), shown as text only.
const MAX_TITLE = 128;

const $ = id => document.getElementById(id);
const state = { csrf: null, qubes: [], notices: new Map(), selected: null, events: null, timer: null, refreshTimer: null };

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch('/api' + path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) });
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json() : null;
  if (!res.ok) {
    const err = new Error(data && data.detail ? data.detail : `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function say(text, error = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

async function attempt(what, fn) {
  try {
    await fn();
    say(what);
  } catch (e) {
    if (e.status === 401) return showLogin();
    say(e.message, true);
  }
}

// ---- login ------------------------------------------------------------------------------------

function showLogin() {
  stopLive();
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('secret').focus();
}

$('login-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  try {
    const r = await api('POST', '/login', { secret: $('secret').value });
    $('secret').value = '';
    $('login-error').textContent = '';
    state.csrf = r.csrf_token;
    await showApp();
  } catch (e) {
    $('login-error').textContent = e.message;
  }
});

$('logout').addEventListener('click', async () => {
  await api('POST', '/logout').catch(() => {});
  state.csrf = null;
  showLogin();
});

async function showApp() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  const index = await api('GET', '');
  $('backend').textContent = `· backend ${index.backend}`;
  if (index.state_problems.length) say('State file: ' + index.state_problems.join('; '), true);
  // the platform's history first, so that the table's charts are full when it is first drawn
  await loadHistory().catch(e => { if (e.status === 401) throw e; });
  await refresh();
  startLive();
  route();
  if (location.hash !== '#/templates') $('qubes-title').focus();
}

// ---- pages --------------------------------------------------------------------------------------

// #/templates shows the templates page in place of the qubes; anything else the qubes.
function route() {
  const templates = location.hash === '#/templates';
  $('app').classList.toggle('page-templates', templates);
  $('templates-page').hidden = !templates;
  if (templates) showTemplates($('templates-page'), { api, csrf: () => state.csrf, onLogin: showLogin, onChange: scheduleRefresh });
  else hideTemplates();
}

window.addEventListener('hashchange', () => { if (!$('app').hidden) route(); });

// ---- live updates -------------------------------------------------------------------------------

function startLive() {
  stopLive();
  const es = new EventSource('/api/events');
  state.events = es;
  es.onopen = () => { $('live').textContent = 'live'; $('live').classList.add('on'); scheduleRefresh(); };
  es.onerror = () => { $('live').textContent = 'reconnecting…'; $('live').classList.remove('on'); };
  es.onmessage = m => {
    const e = JSON.parse(m.data);
    const list = $('events');
    list.prepend(h('li', {}, `${e.time.slice(11, 19)} ${e.type} ${e.qube || ''}`));
    while (list.children.length > 50) list.lastChild.remove();
    scheduleRefresh();
  };
  state.timer = setInterval(pollLive, STATS_PERIOD_MS);
  pollLive();
}

// Stats and windows change without an event: both are polled.
function pollLive() {
  pollStats();
  if (state.selected) pollWindows(state.selected);
}

function stopLive() {
  if (state.events) state.events.close();
  state.events = null;
  clearInterval(state.timer);
  $('live').textContent = 'offline';
  $('live').classList.remove('on');
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => refresh().catch(e => e.status === 401 ? showLogin() : say(e.message, true)), 100);
}

async function refresh() {
  const [r, roles] = await Promise.all([api('GET', '/qubes'), api('GET', '/roles')]);
  state.qubes = r.qubes;
  // what a role says about its qubes (a NetVM with no uplink), shown with each of them
  state.notices = new Map();
  for (const role of roles.roles) for (const name of role.qubes) if (role.notices.length) state.notices.set(name, role.notices);
  renderQubes();
  renderCreateChoices();
  drawTopology($('topology'), state.qubes);
  refreshTemplates();
  if (state.selected) {
    if (state.qubes.some(q => q.name === state.selected)) await renderDetails();
    else { state.selected = null; $('details').hidden = true; }
  }
}

// The platform samples every running qube; the page fetches what is new.
async function pollStats() {
  try {
    await refreshHistory();
    renderStats();
  } catch (e) {
    if (e.status === 401) showLogin();
  }
}

async function pollWindows(name) {
  try {
    await renderWindows(name);
  } catch (e) {
    if (e.status === 401) showLogin();
  }
}

// ---- the qube table ---------------------------------------------------------------------------------

function value(q, p) {
  return q.properties[p] ? q.properties[p].value : '';
}

function actionButtons(q) {
  const act = (label, action, body, cls) => h('button', { type: 'button', class: cls, 'aria-label': `${label} ${q.name}`,
    onclick: () => attempt(`${label}: ${q.name}`, async () => {
      await api('POST', `/qubes/${q.name}/actions/${action}`, body || {});
      scheduleRefresh();
    }) }, label);
  if (q.qid === 0) return [];
  switch (q.state) {
    case 'Running': return [act('Shut down', 'shutdown'), act('Kill', 'kill', undefined, 'danger'), act('Pause', 'pause')];
    case 'Paused': return [act('Unpause', 'unpause'), act('Kill', 'kill', undefined, 'danger')];
    case 'Halted': return [act('Start', 'start'), h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${q.name}`,
      onclick: () => {
        if (confirm(`Remove ${q.name} and everything it holds?`)) {
          attempt(`Removed ${q.name}`, async () => { await api('DELETE', `/qubes/${q.name}`); scheduleRefresh(); });
        }
      } }, 'Remove')];
    default: return [act('Kill', 'kill', undefined, 'danger')];
  }
}

function renderQubes() {
  const focused = document.activeElement && document.activeElement.getAttribute('aria-label');
  const rows = state.qubes.map(q => {
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = q.color;
    return h('tr', { 'data-qube': q.name, 'data-state': q.state },
      h('td', {}, swatch, h('button', { type: 'button', class: 'link', 'aria-label': `Details of ${q.name}`, title: `label ${q.label}`,
        onclick: () => select(q.name) }, q.name), ...noticeMark(q)),
      h('td', { class: `state state-${q.state}` }, q.state),
      h('td', {}, q.klass),
      h('td', {}, value(q, 'template') || '-'),
      h('td', {}, value(q, 'netvm') || '-'),
      h('td', { class: 'cpu' }),
      h('td', { class: 'mem' }),
      h('td', {}, h('div', { class: 'actions' }, ...actionButtons(q))));
  });
  $('qubes').tBodies[0].replaceChildren(...rows);
  if (focused) {
    const again = document.querySelector(`[aria-label="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  renderStats();
}

function noticeMark(q) {
  const notices = state.notices.get(q.name);
  return notices ? [h('span', { class: 'notice', role: 'img', 'aria-label': `${q.name}: ${notices.join(' ')}`, title: notices.join('\n') },
    ' ⚠')] : [];
}

function renderStats() {
  for (const row of $('qubes').tBodies[0].rows) {
    const cells = usageCells(row.dataset.qube);
    const cpuCell = row.querySelector('.cpu'), memCell = row.querySelector('.mem');
    if (!cells) { cpuCell.replaceChildren(); memCell.replaceChildren(); continue; }
    cpuCell.replaceChildren(cells.cpu);
    memCell.replaceChildren(cells.memory);
  }
}

// ---- create -------------------------------------------------------------------------------------------

function options(select, items, keep) {
  const before = keep ? select.value : null;
  select.replaceChildren(...items.map(([v, t]) => h('option', { value: v }, t)));
  if (before !== null && items.some(([v]) => v === before)) select.value = before;
}

function renderCreateChoices() {
  if ($('create-label').options.length === 0) options($('create-label'), LABELS.map(l => [l, l]), false);
  const templates = state.qubes.filter(q => q.klass === 'TemplateVM').map(q => [q.name, q.name]);
  options($('create-template'), [['', 'default'], ...templates], true);
  const netvms = state.qubes.filter(q => value(q, 'provides_network') === 'True').map(q => [q.name, q.name]);
  options($('create-netvm'), [['', 'default'], ['none', 'none'], ...netvms], true);
}

$('create-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const name = $('create-name').value.trim();
  const properties = {};
  if ($('create-template').value && $('create-klass').value === 'AppVM') properties.template = $('create-template').value;
  if ($('create-netvm').value) properties.netvm = $('create-netvm').value === 'none' ? '' : $('create-netvm').value;
  attempt(`Created ${name}`, async () => {
    await api('POST', '/qubes', { name, label: $('create-label').value, klass: $('create-klass').value, properties });
    $('create-name').value = '';
    await refresh();
    await select(name);
  });
});

// ---- details: properties and firewall -----------------------------------------------------------------

async function select(name) {
  state.selected = name;
  $('details').hidden = false;
  // Focus moves to the details before they load, so keys typed meanwhile are not taken from a field the user moved to.
  $('details-title').focus();
  $('details').removeAttribute('data-shown');
  await renderDetails();
  $('details').dataset.shown = name;
}

async function renderDetails() {
  const q = state.qubes.find(x => x.name === state.selected);
  if (!q) return;
  $('details-name').textContent = q.name;
  const notices = state.notices.get(q.name) || [];
  $('details-notices').replaceChildren(...notices.map(n => h('li', {}, n)));
  $('details-notices').hidden = notices.length === 0;
  $('props').tBodies[0].replaceChildren(...Object.entries(q.properties).map(([k, v]) =>
    h('tr', { 'data-property': k }, h('td', {}, k), h('td', {}, v.value || '-'), h('td', {}, v.default ? `default: ${v.source}` : 'set'))));
  const features = Object.entries(q.features).sort(([a], [b]) => a.localeCompare(b));
  $('features').tBodies[0].replaceChildren(...(features.length
    ? features.map(([k, v]) => h('tr', { 'data-feature': k }, h('td', {}, k), h('td', {}, v)))
    : [h('tr', {}, h('td', { colspan: '2' }, 'none'))]));
  options($('prop-name'), Object.keys(q.properties).map(k => [k, k]), true);
  if (document.activeElement !== $('prop-value')) $('prop-value').value = q.properties[$('prop-name').value].value;
  await renderWindows(q.name);
  if (q.qid === 0) {
    $('rules').replaceChildren(h('li', {}, 'dom0 has no network and no firewall'));
    return;
  }
  const r = await api('GET', `/qubes/${q.name}/firewall`);
  $('rules').replaceChildren(...r.rules.map(rule => h('li', { 'data-rule': rule.text },
    h('code', {}, rule.text),
    h('button', { type: 'button', 'aria-label': `Delete rule ${rule.index}`,
      onclick: () => attempt(`Deleted rule ${rule.index} of ${q.name}`, async () => {
        await api('DELETE', `/qubes/${q.name}/firewall/${rule.index}`);
        await renderDetails();
      }) }, 'Delete'))));
}

// The qube's windows on dom0's display, as the GUI daemon lists them; none, with a note, without the gui feature.
async function renderWindows(name) {
  const r = await api('GET', `/qubes/${name}/windows`);
  if (state.selected !== name) return;
  $('windows-qube').textContent = name;
  $('windows-note').textContent = r.note || '';
  $('windows-note').hidden = !r.note;
  $('windows').tBodies[0].replaceChildren(...(r.windows.length
    ? r.windows.map(w => {
      const title = h('td', { class: 'title' });
      title.textContent = [...w.title].slice(0, MAX_TITLE).join('') || '-';
      return h('tr', { 'data-window': String(w.id) }, h('td', {}, String(w.id)), title, h('td', {}, w.geometry));
    })
    : [h('tr', {}, h('td', { colspan: '3' }, 'none'))]));
}

$('prop-name').addEventListener('change', () => {
  const q = state.qubes.find(x => x.name === state.selected);
  const p = q && q.properties[$('prop-name').value];
  $('prop-value').value = p ? p.value : '';
});

$('prop-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const name = state.selected, prop = $('prop-name').value;
  attempt(`${name}: ${prop} set`, async () => {
    await api('PUT', `/qubes/${name}/properties/${prop}`, { value: $('prop-value').value });
    await refresh();
  });
});

$('prop-reset').addEventListener('click', () => {
  const name = state.selected, prop = $('prop-name').value;
  attempt(`${name}: ${prop} reset to its default`, async () => {
    await api('DELETE', `/qubes/${name}/properties/${prop}`);
    await refresh();
  });
});

$('rule-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const name = state.selected;
  attempt(`Rule added to ${name}`, async () => {
    await api('POST', `/qubes/${name}/firewall`, { rule: $('rule-text').value.trim() });
    $('rule-text').value = '';
    await renderDetails();
  });
});

// ---- start --------------------------------------------------------------------------------------------

(async () => {
  try {
    const s = await api('GET', '/session');
    if (s.authenticated && s.csrf_token) {
      state.csrf = s.csrf_token;
      await showApp();
    } else {
      showLogin();
    }
  } catch (e) {
    showLogin();
    $('login-error').textContent = e.message;
  }
})();
