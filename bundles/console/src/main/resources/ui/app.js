// The Bulkhead console: plain JavaScript modules, talking to the Admin API on the same origin only.
// This one logs in, keeps the page live (the event stream, polled stats and windows) and shows the
// page the URL names (router.js); each page is a module of its own.
import { $, h, api, say, state, whenUnauthorized } from './core.js';
import { initList, renderCreateChoices, renderQubes, showFilters } from './list.js';
import { initQube, leaveQube, renderWindows, showQube, updateQube } from './qube.js';
import { initSettings, showSettings, updateSettings } from './settings.js';
import { onRoute, parse } from './router.js';
import { drawTopology } from './topology.js';
import { loadHistory, refreshHistory, usageCells } from './charts.js';
import { showTemplates, hideTemplates, refreshTemplates } from './templates.js';
import { initPolicy, watchPolicy, showPolicy, hidePolicy } from './policy.js';

const STATS_PERIOD_MS = 2000;
const PAGES = { list: 'page-list', qube: 'page-qube', settings: 'page-settings', templates: 'templates-page', policy: 'policy-page' };

// ---- login ------------------------------------------------------------------------------------

function showLogin() {
  stopLive();
  $('app').hidden = true;
  $('logout').hidden = true;
  $('nav').hidden = true;
  $('login').hidden = false;
  $('secret').focus();
}
whenUnauthorized(showLogin);

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
  $('nav').hidden = false;
  const [index, properties] = await Promise.all([api('GET', ''), api('GET', '/properties')]);
  state.properties = properties.properties;
  $('backend').textContent = `· backend ${index.backend}`;
  if (index.state_problems.length) say('State file: ' + index.state_problems.join('; '), true);
  // the platform's history first, so that the table's charts are full when it is first drawn
  await loadHistory().catch(e => { if (e.status === 401) throw e; });
  await refresh();
  startLive();
  await route(parse(location.hash));
}

// ---- pages ----------------------------------------------------------------------------------------

async function route(r) {
  const before = state.route.page;
  state.route = r;
  for (const [page, id] of Object.entries(PAGES)) $(id).hidden = page !== r.page;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === r.page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (r.page !== 'templates') hideTemplates();
  if (r.page !== 'policy') hidePolicy();
  if (r.page !== 'qube') leaveQube();
  try {
    if (r.page === 'qube') {
      document.title = `${r.name} · Bulkhead console`;
      await showQube(r.name, r.section);
    } else if (r.page === 'settings') {
      document.title = 'Global settings · Bulkhead console';
      await showSettings();
    } else if (r.page === 'policy') {
      document.title = 'Policy · Bulkhead console';
      showPolicy($('policy-page'));
    } else if (r.page === 'templates') {
      document.title = 'Templates · Bulkhead console';
      showTemplates($('templates-page'), { api, csrf: () => state.csrf, onLogin: showLogin, onChange: scheduleRefresh });
    } else {
      document.title = 'Qubes · Bulkhead console';
      showFilters();
      renderQubes();
      renderStats();
      // a new sort keeps the focus on its header; coming from another page, it goes to the list
      if (before !== 'list' || !$('page-list').contains(document.activeElement)) $('qubes-title').focus();
    }
  } catch (e) {
    if (e.status === 401) showLogin();
    else say(e.message, true);
  }
}

onRoute(r => {
  if (!$('app').hidden) route(r);
});

// The skip link moves the focus without changing the page's URL.
document.querySelector('.skip').addEventListener('click', ev => {
  ev.preventDefault();
  $('main-content').focus();
});

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
  watchPolicy(es);
  state.timer = setInterval(pollLive, STATS_PERIOD_MS);
  pollLive();
}

// Stats and windows change without an event: both are polled.
function pollLive() {
  pollStats();
  if (state.route.page === 'qube') pollWindows(state.route.name);
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
  state.roles = roles.roles;
  // what a role says about its qubes (a NetVM with no uplink), shown with each of them
  state.notices = new Map();
  for (const role of roles.roles) for (const name of role.qubes) if (role.notices.length) state.notices.set(name, role.notices);
  renderQubes();
  renderStats();
  renderCreateChoices();
  drawTopology($('topology'), state.qubes);
  if (state.route.page === 'qube' && $('page-qube').dataset.shown === state.route.name) await updateQube();
  if (state.route.page === 'settings' && $('page-settings').dataset.shown) await updateSettings();
  refreshTemplates();
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

// ---- the list's CPU and memory cells ------------------------------------------------------------------

function renderStats() {
  for (const row of $('qubes').tBodies[0].rows) {
    const cells = usageCells(row.dataset.qube);
    const cpuCell = row.querySelector('.cpu'), memCell = row.querySelector('.mem');
    if (!cells) { cpuCell.replaceChildren(); memCell.replaceChildren(); continue; }
    cpuCell.replaceChildren(cells.cpu);
    memCell.replaceChildren(cells.memory);
  }
}

// ---- start --------------------------------------------------------------------------------------------

initList(() => refresh().catch(e => e.status === 401 ? showLogin() : say(e.message, true)));
initQube(refresh);
initSettings(refresh);
initPolicy({ api, onLogin: showLogin });

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
