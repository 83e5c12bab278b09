// What every page of the console shares: the state, element helpers, the Admin API client and the
// way errors are shown next to the control that caused them.

export const LABELS = ['red', 'orange', 'yellow', 'green', 'gray', 'blue', 'purple', 'black'];

export const $ = id => document.getElementById(id);

export const state = {
  csrf: null, qubes: [], notices: new Map(), roles: [], properties: [], stats: new Map(), events: null, timer: null,
  refreshTimer: null, route: { page: 'list', name: null, query: new URLSearchParams() },
  // the last refusal of each control, by its key, kept while the page around it is drawn again
  errors: new Map(),
};

export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k !== 'value' && v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  // a select's value names one of its options, so it is set once they are there
  if ('value' in attrs && attrs.value !== undefined && attrs.value !== null) e.value = attrs.value;
  return e;
}

async function call(method, path, body, accept) {
  const headers = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch('/api' + path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) });
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    const data = type.includes('json') ? await res.json() : null;
    const err = new Error(data && data.detail ? data.detail : `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.subject = data && data.subject;
    throw err;
  }
  return res;
}

/** Calls the Admin API and returns its JSON answer (null when there is none); a refusal throws with the problem's detail. */
export async function api(method, path, body) {
  const res = await call(method, path, body, 'application/json');
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : null;
}

/** Calls the Admin API for a text resource (a qube's log). */
export async function apiText(path) {
  return (await call('GET', path, undefined, 'text/plain')).text();
}

/** The status line: what was done, for the record; errors also go next to their control. */
export function say(text, error = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** The session is gone: back to the login. */
export function unauthorized() {
  onUnauthorized();
}

/**
 * Runs a change. A refusal is shown in {@code errorBox} (an element with role=alert next to the control
 * that caused it, which the control names with aria-describedby) and in the status line.
 */
export async function attempt(what, fn, errorBox) {
  const show = text => {
    if (!errorBox) return;
    errorBox.textContent = text;
    if (text) state.errors.set(errorBox.dataset.key, text);
    else state.errors.delete(errorBox.dataset.key);
  };
  show('');
  try {
    await fn();
    say(what);
    return true;
  } catch (e) {
    if (e.status === 401) {
      onUnauthorized();
      return false;
    }
    show(e.message);
    say(e.message, true);
    return false;
  }
}

/**
 * The error box of the control(s) known by {@code key}: role=alert, so that screen readers announce
 * it, named by each control's aria-describedby, and showing the control's last refusal.
 */
export function errorBox(key, ...controls) {
  const box = h('span', { class: 'field-error', role: 'alert', id: `error-${key}`, 'data-key': key }, state.errors.get(key) || '');
  for (const c of controls) c.setAttribute('aria-describedby', box.id);
  return box;
}

/**
 * Draws {@code container} again with {@code build}, keeping the focus (by id or aria-label) and
 * what the user typed and has not saved yet (inputs marked data-dirty).
 */
export function redraw(container, build) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.id || active.getAttribute('aria-label') : null;
  const dirty = [...container.querySelectorAll('[data-dirty]')].filter(e => e.id).map(e => [e.id, e.type === 'checkbox' ? e.checked : e.value]);
  build();
  for (const [id, v] of dirty) {
    const e = document.getElementById(id);
    if (!e) continue;
    if (e.type === 'checkbox') e.checked = v;
    else e.value = v;
    e.dataset.dirty = '1';
  }
  if (key) {
    const again = document.getElementById(key) || container.querySelector(`[aria-label="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

/** Marks an input as changed by the user, so that a redraw keeps what was typed. */
export function tracked(input) {
  input.addEventListener('input', () => { input.dataset.dirty = '1'; });
  return input;
}

export function options(select, items, keep) {
  const before = keep ? select.value : null;
  select.replaceChildren(...items.map(([v, t]) => h('option', { value: v }, t)));
  if (before !== null && items.some(([v]) => v === before)) select.value = before;
}

export function value(q, p) {
  return q.properties[p] ? q.properties[p].value : '';
}

export function qube(name) {
  return state.qubes.find(q => q.name === name);
}

/** The qubes a qube-valued property or global setting may name, as [value, text] pairs. */
export function qubeChoices(property) {
  const names = pred => state.qubes.filter(pred).map(q => [q.name, q.name]);
  switch (property) {
    case 'template': case 'default_template':
      return names(q => q.klass === 'TemplateVM');
    case 'netvm': case 'default_netvm':
      return [['', 'none'], ...names(q => value(q, 'provides_network') === 'True')];
    case 'default_dispvm':
      return [['', 'none'], ...names(q => value(q, 'template_for_dispvms') === 'True')];
    default:
      return [['', 'none'], ...names(q => q.qid !== 0)];
  }
}

/**
 * Asks in a modal dialog; resolves to true, the text typed (with {@code input}), or null when
 * cancelled. {@code check} may refuse the answer with a message shown next to the field.
 */
export function ask({ title, text, confirmLabel, danger = false, input = null, check = null }) {
  return new Promise(resolve => {
    const dialog = $('ask');
    $('ask-title').textContent = title;
    $('ask-text').textContent = text;
    const field = $('ask-input');
    $('ask-field').hidden = !input;
    $('ask-label').textContent = input ? input.label : '';
    field.value = input ? input.value || '' : '';
    field.required = !!input;
    $('ask-error').textContent = '';
    const ok = $('ask-ok');
    ok.textContent = confirmLabel;
    ok.classList.toggle('danger', danger);
    const finish = answer => {
      $('ask-form').onsubmit = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    $('ask-form').onsubmit = async ev => {
      ev.preventDefault();
      const answer = input ? field.value.trim() : true;
      if (check) {
        const problem = await check(answer);
        if (problem) {
          $('ask-error').textContent = problem;
          field.focus();
          return;
        }
      }
      finish(answer);
    };
    $('ask-cancel').onclick = () => finish(null);
    dialog.onclose = () => finish(null);
    dialog.showModal();
    (input ? field : $('ask-cancel')).focus();
  });
}

export const QUBE_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,30}$/;
