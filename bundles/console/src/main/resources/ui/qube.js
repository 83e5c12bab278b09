// A qube's settings page (#/qube/NAME): lifecycle, properties with typed inputs, firewall, features and
// role, tags, volumes with their revisions, windows and the console log.
import { $, h, api, apiText, ask, attempt, errorBox, qube, qubeChoices, redraw, say, state, tracked, unauthorized, LABELS, QUBE_NAME } from './core.js';
import { drawFirewall, firewallRead, initFirewall } from './firewall.js';
import { qubeUrl } from './router.js';
import { drawUsage } from './charts.js';

// A window title is the qube's text: at most this many characters (as dom0's GUI decoder keeps), shown as text only.
const MAX_TITLE = 128;
// The end of a long log is what matters; the page shows at most this many characters of it.
const MAX_LOG = 65536;

let refreshAll = async () => {};
export function initQube(refresh) {
  refreshAll = refresh;
  initFirewall();
  $('tag-form').addEventListener('submit', ev => {
    ev.preventDefault();
    const name = state.route.name, tag = $('tag-name').value.trim();
    attempt(`${name}: tag ${tag} added`, async () => {
      await api('PUT', `/qubes/${name}/tags/${encodeURIComponent(tag)}`);
      $('tag-name').value = '';
      await refreshAll();
    }, $('error-tag-add'));
  });
  $('tag-form').append(errorBox('tag-add', $('tag-name')));
  $('feature-form').addEventListener('submit', ev => {
    ev.preventDefault();
    const name = state.route.name, key = $('feature-key').value.trim();
    attempt(`${name}: feature ${key} set`, async () => {
      await api('PUT', `/qubes/${name}/features/${encodeURIComponent(key)}`, { value: $('feature-value').value });
      $('feature-key').value = '';
      $('feature-value').value = '';
      await refreshAll();
    }, $('error-feature-add'));
  });
  $('feature-form').append(errorBox('feature-add', $('feature-key'), $('feature-value')));
  $('role-form').addEventListener('submit', ev => {
    ev.preventDefault();
    const name = state.route.name, role = $('role-select').value;
    attempt(role ? `${name}: role ${role}` : `${name}: no role`, async () => {
      if (role) await api('PUT', `/qubes/${name}/features/role`, { value: role });
      else if (qube(name).features.role !== undefined) await api('DELETE', `/qubes/${name}/features/role`);
      delete $('role-select').dataset.dirty;
      await refreshAll();
    }, $('error-role'));
  });
  $('role-form').append(errorBox('role', $('role-select')));
  tracked($('role-select'));
  $('log-refresh').addEventListener('click', () => showLog(state.route.name));
  $('log-refresh').after(errorBox('log', $('log-refresh')));
}

/** Shows the page of a qube, as the URL names it; a section in the URL gets the focus. */
let stopUsage = null;

/** Stops what the qube page keeps live (its CPU and memory charts), when another page is shown. */
export function leaveQube() {
  if (stopUsage) stopUsage();
  stopUsage = null;
}

export async function showQube(name, section) {
  $('qube-name').textContent = name;
  $('page-qube').removeAttribute('data-shown');
  $('qube-log').textContent = '';
  for (const [id, s] of [['nav-basic', 'basic'], ['nav-firewall', 'firewall'], ['nav-features', 'features'], ['nav-tags', 'tags'],
    ['nav-volumes', 'volumes'], ['nav-windows', 'windows'], ['nav-log', 'log']]) $(id).href = qubeUrl(name, s);
  // Focus moves to the page before it loads, so keys typed meanwhile are not taken from a field the user moved to.
  (section && $(`${section}-title`) ? $(`${section}-title`) : $('qube-title')).focus();
  if (!qube(name)) {
    $('qube-missing').hidden = false;
    $('qube-body').hidden = true;
    return;
  }
  $('qube-missing').hidden = true;
  $('qube-body').hidden = false;
  leaveQube();
  stopUsage = drawUsage($('qube-usage'), name);
  await updateQube(true);
  await showLog(name);
  $('page-qube').dataset.shown = name;
}

/** Draws the page again with the qube's state now; what the user is typing stays. */
export async function updateQube(fresh = false) {
  const name = state.route.name;
  const q = qube(name);
  if (!q) {
    $('qube-missing').hidden = false;
    $('qube-body').hidden = true;
    return;
  }
  $('qube-missing').hidden = true;
  $('qube-body').hidden = false;
  const swatch = $('qube-swatch');
  swatch.style.backgroundColor = q.color;
  $('qube-state').textContent = `${q.state} · ${q.klass} · label ${q.label}`;
  $('qube-state').className = `state state-${q.state}`;
  const notices = state.notices.get(q.name) || [];
  $('qube-notices').replaceChildren(...notices.map(n => h('li', {}, n)));
  $('qube-notices').hidden = notices.length === 0;
  redraw($('qube-actions'), () => $('qube-actions').replaceChildren(...lifecycle(q)));
  redraw($('props'), () => $('props').replaceChildren(...propertyRows(q, fresh)));
  redraw($('features-body'), () => drawFeatures(q));
  redraw($('tags-body'), () => drawTags(q));
  const read = firewallRead();
  const [volumes, rules] = await Promise.all([
    q.qid === 0 ? { volumes: [] } : api('GET', `/qubes/${name}/volumes`),
    q.qid === 0 ? null : api('GET', `/qubes/${name}/firewall`),
    renderWindows(name),
  ]);
  if (state.route.name !== name) return;
  redraw($('volumes-body'), () => drawVolumes(q, volumes.volumes));
  drawFirewall(q, rules, read);
}

// ---- lifecycle ------------------------------------------------------------------------------------------

function lifecycle(q) {
  if (q.qid === 0) return [h('p', { class: 'hint' }, 'dom0 is the platform itself: it is always running.')];
  const box = errorBox(`actions-${q.name}`);
  const button = (label, onclick, cls) => h('button', { type: 'button', class: cls, 'aria-label': `${label} ${q.name}`,
    'aria-describedby': box.id, onclick }, label);
  const run = (what, fn) => attempt(what, async () => {
    await fn();
    await refreshAll();
  }, box);
  const act = (label, action, body, cls) => button(label, () => run(`${label}: ${q.name}`,
    () => api('POST', `/qubes/${q.name}/actions/${action}`, body || {})), cls);
  const confirmed = (label, text, fn) => button(label, async () => {
    if (await ask({ title: `${label}: ${q.name}?`, text, confirmLabel: label, danger: true })) run(`${label}: ${q.name}`, fn);
  }, 'danger');
  const kill = confirmed('Kill', `${q.name} stops at once, without shutting down: what it has not saved is lost.`,
    () => api('POST', `/qubes/${q.name}/actions/kill`, {}));
  const clone = button('Clone', async () => {
    const target = await ask({ title: `Clone ${q.name}`, text: `A new qube with the properties, features, tags and private data of ${q.name}.`,
      confirmLabel: 'Clone', input: { label: 'Name of the new qube', value: `${q.name}-clone`.slice(0, 31) },
      check: async n => {
        if (!QUBE_NAME.test(n)) return 'A name starts with a letter and has at most 31 letters, digits, _ . or -';
        try {
          await api('POST', `/qubes/${q.name}/actions/clone`, { target: n });
          return null;
        } catch (e) {
          return e.message;
        }
      } });
    if (target) {
      say(`Cloned ${q.name} to ${target}`);
      await refreshAll();
      location.hash = qubeUrl(target);
    }
  });
  const remove = button('Remove', async () => {
    if (await ask({ title: `Remove ${q.name}?`, text: `${q.name} and everything it holds are deleted.`, confirmLabel: 'Remove', danger: true })) {
      if (await attempt(`Removed ${q.name}`, () => api('DELETE', `/qubes/${q.name}`), box)) location.hash = '#/';
    }
  }, 'danger');
  let buttons;
  switch (q.state) {
    case 'Running':
      buttons = [act('Shut down', 'shutdown'), confirmed('Force shut down',
        `${q.name} shuts down even if running qubes use it as their netvm; they lose their network.`,
        () => api('POST', `/qubes/${q.name}/actions/shutdown`, { force: true })),
      act('Restart', 'restart'), act('Pause', 'pause'), kill, clone];
      break;
    case 'Paused': buttons = [act('Unpause', 'unpause'), kill, clone]; break;
    case 'Halted': buttons = [act('Start', 'start'), clone, remove]; break;
    default: buttons = [kill];
  }
  return [h('div', { class: 'actions' }, ...buttons), box];
}

// ---- properties ------------------------------------------------------------------------------------------

function declaration(name) {
  return state.properties.find(p => p.name === name) || { name, type: 'string', description: '', read_only: false };
}

function propertyInput(q, d, current) {
  const id = `prop-${d.name}`;
  const label = { id, name: d.name, 'aria-label': undefined };
  if (d.type === 'bool') {
    const box = h('input', { ...label, type: 'checkbox' });
    box.checked = current === 'True';
    return tracked(box);
  }
  if (d.type === 'label' || d.type === 'qube') {
    const choices = d.type === 'label' ? LABELS.map(l => [l, l]) : qubeChoices(d.name).filter(([v]) => v !== q.name);
    if (!choices.some(([v]) => v === current)) choices.push([current, current || 'none']);
    return tracked(h('select', { ...label, value: current }, ...choices.map(([v, t]) => h('option', { value: v }, t))));
  }
  if (d.type === 'int') return tracked(h('input', { ...label, type: 'number', min: d.min, max: d.max, step: 1, required: true, value: current }));
  return tracked(h('input', { ...label, maxlength: d.max || undefined, value: current }));
}

/** The qube's properties in the order they are declared (name, label, memory, ..., as Qubes lists them). */
function propertyRows(q, fresh) {
  const order = name => {
    const i = state.properties.findIndex(p => p.name === name);
    return i < 0 ? state.properties.length : i;
  };
  const entries = Object.entries(q.properties).sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b));
  return entries.map(([k, v]) => {
    const d = declaration(k);
    const halted = q.state === 'Halted';
    const from = (v.default ? `default, ${v.source}` : 'set on this qube')
      + (d.changes_while_running === false && !halted ? '; changes only while the qube is halted' : '');
    if (d.read_only || q.qid === 0) {
      return h('div', { class: 'prop', 'data-property': k }, h('span', { class: 'prop-name' }, k),
        h('output', { id: `prop-${k}` }, v.value || '-'), h('span', { class: 'hint' }, d.description));
    }
    const input = propertyInput(q, d, v.value);
    if (fresh) delete input.dataset.dirty;
    const locked = d.changes_while_running === false && !halted;
    if (locked) input.disabled = true;
    const box = errorBox(`prop-${q.name}-${k}`, input);
    const hint = h('span', { class: 'hint', id: `prop-${k}-hint` }, `${d.description}. ${from}.`);
    input.setAttribute('aria-describedby', `${box.id} ${hint.id}`);
    const form = h('form', { class: 'prop', 'data-property': k, 'data-default': String(v.default),
      onsubmit: ev => {
        ev.preventDefault();
        const value = input.type === 'checkbox' ? (input.checked ? 'True' : 'False') : input.value;
        attempt(`${q.name}: ${k} set to ${value || 'none'}`, async () => {
          await api('PUT', `/qubes/${q.name}/properties/${k}`, { value });
          delete input.dataset.dirty;
          await refreshAll();
        }, box);
      } },
    h('label', { for: input.id, class: 'prop-name' }, k), input,
    h('button', { type: 'submit', 'aria-label': `Set ${k}`, disabled: locked }, 'Set'),
    h('button', { type: 'button', 'aria-label': `Reset ${k} to its default`, disabled: v.default || locked,
      onclick: () => attempt(`${q.name}: ${k} reset to its default`, async () => {
        await api('DELETE', `/qubes/${q.name}/properties/${k}`);
        delete input.dataset.dirty;
        await refreshAll();
      }, box) }, 'Default'),
    box, hint);
    return form;
  });
}

// ---- features, role, tags ----------------------------------------------------------------------------------

function drawFeatures(q) {
  const features = Object.entries(q.features).sort(([a], [b]) => a.localeCompare(b));
  const rows = features.map(([k, v]) => {
    const input = tracked(h('input', { id: `feature-${k}`, 'aria-label': `Value of feature ${k}`, value: v }));
    const box = errorBox(`feature-${q.name}-${k}`, input);
    return h('tr', { 'data-feature': k }, h('th', { scope: 'row' }, k),
      h('td', { class: 'feature-value' }, h('form', { class: 'inline', onsubmit: ev => {
        ev.preventDefault();
        attempt(`${q.name}: feature ${k} set`, async () => {
          await api('PUT', `/qubes/${q.name}/features/${encodeURIComponent(k)}`, { value: input.value });
          delete input.dataset.dirty;
          await refreshAll();
        }, box);
      } }, input, h('button', { type: 'submit', 'aria-label': `Set feature ${k}` }, 'Set'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Remove feature ${k}`, onclick: () =>
        attempt(`${q.name}: feature ${k} removed`, async () => {
          await api('DELETE', `/qubes/${q.name}/features/${encodeURIComponent(k)}`);
          await refreshAll();
        }, box) }, 'Remove'), box)));
  });
  $('features').tBodies[0].replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: '2' }, 'none'))]));
  const select = $('role-select');
  if (!select.dataset.dirty) {
    const current = q.features.role || '';
    const ids = state.roles.map(r => r.id);
    if (current && !ids.includes(current)) ids.push(current);
    select.replaceChildren(h('option', { value: '' }, 'none'), ...ids.map(id => {
      const role = state.roles.find(r => r.id === id);
      return h('option', { value: id }, role ? `${id}: ${role.description}` : `${id} (not installed)`);
    }));
    select.value = current;
  }
  $('feature-keys').replaceChildren(...['role', 'gui', 'service.', ...state.roles.map(r => r.id)].map(k => h('option', { value: k })));
}

function drawTags(q) {
  const box = errorBox(`tags-${q.name}`);
  $('tags').replaceChildren(...(q.tags.length ? q.tags.map(t => h('li', { 'data-tag': t }, h('span', { class: 'tag' }, t),
    h('button', { type: 'button', class: 'danger', 'aria-label': `Remove tag ${t}`, 'aria-describedby': box.id, onclick: () =>
      attempt(`${q.name}: tag ${t} removed`, async () => {
        await api('DELETE', `/qubes/${q.name}/tags/${encodeURIComponent(t)}`);
        await refreshAll();
      }, box) }, 'Remove')))
    : [h('li', {}, 'none')]));
  $('tags-error').replaceChildren(box);
}

// ---- volumes ----------------------------------------------------------------------------------------------------

function mib(bytes) {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

function drawVolumes(q, volumes) {
  const box = errorBox(`volumes-${q.name}`);
  const rows = volumes.map(v => h('tr', { 'data-volume': v.name },
    h('th', { scope: 'row' }, v.name), h('td', {}, mib(v.usage), ' of ', mib(v.size)),
    h('td', {}, v.rw ? 'read-write' : 'read-only', v.save_on_stop ? ', kept at stop' : ', fresh at each start',
      v.source ? `, from ${v.source}` : ''),
    h('td', {}, String(v.revisions_to_keep)),
    h('td', {}, v.revisions.length ? h('ul', { class: 'revisions' }, ...v.revisions.map(r => h('li', { 'data-revision': r.name },
      h('time', { datetime: r.time }, new Date(r.time).toLocaleString()), ' ',
      h('button', { type: 'button', 'aria-label': `Revert ${v.name} to ${r.name}`, 'aria-describedby': box.id, onclick: async () => {
        if (await ask({ title: `Revert ${v.name} of ${q.name}?`, text: `The ${v.name} volume goes back to how it was at ${new Date(r.time).toLocaleString()}; what was written since is lost.`,
          confirmLabel: 'Revert', danger: true })) {
          attempt(`${q.name}: ${v.name} reverted to ${r.name}`, async () => {
            await api('POST', `/qubes/${q.name}/volumes/${v.name}/revert`, { revision: r.name });
            await refreshAll();
          }, box);
        }
      } }, 'Revert')))) : 'none')));
  $('volumes').tBodies[0].replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: '5' }, 'none'))]));
  $('volumes-error').replaceChildren(box);
}

// ---- windows and log ---------------------------------------------------------------------------------------------

/** The qube's windows on dom0's display, as the GUI daemon lists them; none, with a note, without the gui feature. */
export async function renderWindows(name) {
  const r = await api('GET', `/qubes/${name}/windows`);
  if (state.route.name !== name) return;
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

/** Reads the log quietly: only a failure is said, next to the button that reads it again. */
async function showLog(name) {
  const box = $('error-log');
  try {
    const text = await apiText(`/qubes/${name}/log`);
    if (state.route.name !== name) return;
    box.textContent = '';
    $('qube-log').textContent = text.length > MAX_LOG ? '…' + text.slice(-MAX_LOG) : text || '(empty)';
  } catch (e) {
    if (e.status === 401) unauthorized();
    else box.textContent = e.message;
  }
}
