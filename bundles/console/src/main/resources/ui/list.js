// The qube list (#/): sortable by a click on a column header, filtered by text, state, class and
// label, both kept in the URL's query; each qube's name leads to its settings page.
import { $, h, api, ask, attempt, errorBox, options, qubeChoices, state, value, LABELS } from './core.js';
import { listUrl, qubeUrl, replaceListQuery } from './router.js';

const COLUMNS = [
  ['name', 'Name', q => q.name],
  ['state', 'State', q => q.state],
  ['klass', 'Class', q => q.klass],
  ['label', 'Label', q => LABELS.indexOf(q.label)],
  ['template', 'Template', q => value(q, 'template')],
  ['netvm', 'NetVM', q => value(q, 'netvm')],
];
const STATES = ['Running', 'Paused', 'Halted', 'Transient', 'Crashed'];
const CLASSES = ['AdminVM', 'AppVM', 'TemplateVM', 'StandaloneVM', 'DispVM'];

let refreshAll = () => {};
export function initList(refresh) {
  refreshAll = refresh;
  options($('filter-state'), [['', 'any state'], ...STATES.map(s => [s, s])], false);
  options($('filter-klass'), [['', 'any class'], ...CLASSES.map(c => [c, c])], false);
  options($('filter-label'), [['', 'any label'], ...LABELS.map(l => [l, l])], false);
  for (const id of ['filter-text', 'filter-state', 'filter-klass', 'filter-label']) {
    $(id).addEventListener('input', () => {
      state.route.query = filterQuery();
      replaceListQuery(state.route.query);
      renderQubes();
    });
  }
  $('filter-form').addEventListener('submit', ev => ev.preventDefault());
  $('filter-clear').addEventListener('click', () => {
    state.route.query = new URLSearchParams();
    replaceListQuery(state.route.query);
    showFilters();
    renderQubes();
    $('filter-text').focus();
  });
  $('qubes').tHead.rows[0].replaceChildren(...COLUMNS.map(([key, title]) =>
    h('th', { scope: 'col', 'data-sort': key }, h('button', { type: 'button', class: 'sort',
      onclick: () => sortBy(key) }, title))),
  h('th', { scope: 'col' }, 'CPU'), h('th', { scope: 'col' }, 'Memory'), h('th', { scope: 'col' }, 'Actions'));
  $('create-form').addEventListener('submit', create);
  $('create-form').append(errorBox('create', $('create-name')));
}

function filterQuery() {
  const q = new URLSearchParams();
  const sort = state.route.query.get('sort');
  if (sort) q.set('sort', sort);
  for (const [id, key] of [['filter-text', 'q'], ['filter-state', 'state'], ['filter-klass', 'class'], ['filter-label', 'label']]) {
    const v = $(id).value.trim();
    if (v) q.set(key, v);
  }
  return q;
}

/** Puts the URL's filter into the controls, after a reload or the back button. */
export function showFilters() {
  const q = state.route.query;
  $('filter-text').value = q.get('q') || '';
  $('filter-state').value = q.get('state') || '';
  $('filter-klass').value = q.get('class') || '';
  $('filter-label').value = q.get('label') || '';
}

function sortBy(key) {
  const q = new URLSearchParams(state.route.query);
  const now = q.get('sort') || 'name';
  q.set('sort', now === key ? '-' + key : key);
  // a new entry: the back button goes to the order before
  location.hash = listUrl(q);
}

function matches(q, f) {
  const text = (f.get('q') || '').toLowerCase();
  if (f.get('state') && q.state !== f.get('state')) return false;
  if (f.get('class') && q.klass !== f.get('class')) return false;
  if (f.get('label') && q.label !== f.get('label')) return false;
  if (!text) return true;
  return [q.name, value(q, 'template'), value(q, 'netvm'), ...q.tags, ...Object.values(q.features)]
    .some(s => String(s).toLowerCase().includes(text));
}

function sorted(qubes, sort) {
  const desc = sort.startsWith('-');
  const column = COLUMNS.find(([key]) => key === sort.replace(/^-/, '')) || COLUMNS[0];
  const key = column[2];
  return [...qubes].sort((a, b) => {
    const x = key(a), y = key(b);
    const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
    return (desc ? -c : c) || a.name.localeCompare(b.name);
  });
}

function actionButtons(q) {
  const box = errorBox(`row-${q.name}`);
  const run = async (what, fn) => {
    await attempt(what, fn, box);
    refreshAll();
  };
  const button = (label, onclick, cls) => h('button', { type: 'button', class: cls, 'aria-label': `${label} ${q.name}`,
    'aria-describedby': box.id, onclick }, label);
  const act = (label, action, body, cls) => button(label,
    () => run(`${label}: ${q.name}`, () => api('POST', `/qubes/${q.name}/actions/${action}`, body || {})), cls);
  const kill = button('Kill', async () => {
    if (await ask({ title: `Kill ${q.name}?`, text: `${q.name} stops at once, without shutting down: what it has not saved is lost.`,
      confirmLabel: 'Kill', danger: true })) {
      run(`Killed ${q.name}`, () => api('POST', `/qubes/${q.name}/actions/kill`, {}));
    }
  }, 'danger');
  const remove = button('Remove', async () => {
    if (await ask({ title: `Remove ${q.name}?`, text: `${q.name} and everything it holds are deleted.`, confirmLabel: 'Remove',
      danger: true })) {
      run(`Removed ${q.name}`, () => api('DELETE', `/qubes/${q.name}`));
    }
  }, 'danger');
  let buttons;
  if (q.qid === 0) buttons = [];
  else if (q.state === 'Running') buttons = [act('Shut down', 'shutdown'), act('Restart', 'restart'), act('Pause', 'pause'), kill];
  else if (q.state === 'Paused') buttons = [act('Unpause', 'unpause'), kill];
  else if (q.state === 'Halted') buttons = [act('Start', 'start'), remove];
  else buttons = [kill];
  return [h('div', { class: 'actions' }, ...buttons), box];
}

function noticeMark(q) {
  const notices = state.notices.get(q.name);
  return notices ? [h('span', { class: 'notice', role: 'img', 'aria-label': `${q.name}: ${notices.join(' ')}`, title: notices.join('\n') },
    ' ⚠')] : [];
}

export function renderQubes() {
  const focused = document.activeElement && document.activeElement.getAttribute('aria-label');
  const f = state.route.query;
  const sort = f.get('sort') || 'name';
  for (const th of $('qubes').tHead.rows[0].cells) {
    const key = th.dataset.sort;
    if (!key) continue;
    th.setAttribute('aria-sort', sort === key ? 'ascending' : sort === '-' + key ? 'descending' : 'none');
  }
  const shown = sorted(state.qubes.filter(q => matches(q, f)), sort);
  const rows = shown.map(q => {
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = q.color;
    return h('tr', { 'data-qube': q.name, 'data-state': q.state },
      h('td', {}, swatch, h('a', { href: qubeUrl(q.name), 'aria-label': `Settings of ${q.name}`, title: `label ${q.label}` }, q.name),
        ...noticeMark(q)),
      h('td', { class: `state state-${q.state}` }, q.state),
      h('td', {}, q.klass),
      h('td', {}, q.label),
      h('td', {}, value(q, 'template') || '-'),
      h('td', {}, value(q, 'netvm') || '-'),
      h('td', { class: 'cpu' }),
      h('td', { class: 'mem' }),
      h('td', {}, ...actionButtons(q)));
  });
  $('qubes').tBodies[0].replaceChildren(...rows);
  $('filter-count').textContent = shown.length ? `${shown.length} of ${state.qubes.length} qubes shown`
    : 'No qube matches the filter.';
  if (focused) {
    const again = document.querySelector(`[aria-label="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

export function renderCreateChoices() {
  if ($('create-label').options.length === 0) options($('create-label'), LABELS.map(l => [l, l]), false);
  options($('create-template'), [['', 'default'], ...qubeChoices('template')], true);
  options($('create-netvm'), [['', 'default'], ['none', 'none'], ...qubeChoices('netvm').filter(([v]) => v)], true);
}

function create(ev) {
  ev.preventDefault();
  const name = $('create-name').value.trim();
  const properties = {};
  if ($('create-template').value && $('create-klass').value === 'AppVM') properties.template = $('create-template').value;
  if ($('create-netvm').value) properties.netvm = $('create-netvm').value === 'none' ? '' : $('create-netvm').value;
  attempt(`Created ${name}`, async () => {
    await api('POST', '/qubes', { name, label: $('create-label').value, klass: $('create-klass').value, properties });
    $('create-name').value = '';
    await refreshAll();
  }, $('error-create'));
}
