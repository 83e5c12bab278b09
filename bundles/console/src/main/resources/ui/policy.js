// The qrexec policy in the console: the prompt dialog that answers the policy's "ask" on any page, and the
// policy page (#/policy) with the recent calls, live, and an editor for the policy's files.
//
// Exports:
//   initPolicy({ api, onLogin })  Sets the module up; api(method, path, body) is the console's JSON API call,
//       onLogin() shows the login (the session ended).
//   watchPolicy(events)  Listens on the event stream (an EventSource) for prompts and calls, and loads the
//       prompts that already wait. Call it each time the stream is opened.
//   showPolicy(section)  Draws the policy page into section and keeps its call list live while shown.
//   hidePolicy()  The page is left.

const MAX_CALLS_SHOWN = 200;
const page = { opts: null, section: null, shown: false, built: false, editing: null };
// prompts waiting, by id, in the order they opened; the dialog shows the first
const prompts = new Map();
let dialog = null;
let countdown = null;

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function failed(e) {
  if (e.status === 401) page.opts.onLogin();
  return e.message;
}

export function initPolicy(opts) {
  page.opts = opts;
}

export function watchPolicy(events) {
  events.addEventListener('prompt', m => {
    const e = JSON.parse(m.data);
    if (e.type === 'opened') add(e.prompt);
    else remove(e.prompt.id, e.answer);
  });
  events.addEventListener('call', m => addCall(JSON.parse(m.data)));
  // those that opened while the stream was closed
  page.opts.api('GET', '/policy/prompts').then(r => {
    const ids = new Set(r.prompts.map(p => p.id));
    for (const id of [...prompts.keys()]) if (!ids.has(id)) remove(id, null);
    for (const p of r.prompts) add(p);
  }).catch(e => { if (e.status !== 503) failed(e); });
  if (page.shown) loadCalls();
}

// ---- the prompt dialog -------------------------------------------------------------------------------

function add(p) {
  if (prompts.has(p.id)) return;
  // seconds_left was true when it was sent: the deadline on this page's clock
  prompts.set(p.id, { ...p, until: Date.now() + p.seconds_left * 1000 });
  showFirst();
}

function remove(id, answer) {
  const shown = dialog && dialog.dataset.prompt === id;
  prompts.delete(id);
  if (shown) {
    const outcome = answer ? answer.outcome.replace('_', ' ') + (answer.by ? ` by ${answer.by}` : '') : 'ended';
    dialog.querySelector('#prompt-note').textContent = `Answered elsewhere: ${outcome}`;
    closeDialog();
  }
  showFirst();
}

function buildDialog() {
  dialog = h('dialog', { id: 'prompt-dialog', 'aria-labelledby': 'prompt-title', 'aria-describedby': 'prompt-text', class: 'prompt' },
    h('form', { id: 'prompt-form', method: 'dialog' },
      h('h2', { id: 'prompt-title' }, 'A qube asks for a call'),
      h('p', { id: 'prompt-text' }),
      h('fieldset', { id: 'prompt-targets' }, h('legend', {}, 'Allow it to')),
      h('p', { id: 'prompt-left', class: 'hint', 'aria-live': 'off' }),
      h('p', { id: 'prompt-error', class: 'field-error', role: 'alert' }),
      h('p', { id: 'prompt-note', class: 'hint', role: 'status' }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'prompt-deny' }, 'Deny'),
        h('button', { type: 'submit', id: 'prompt-allow' }, 'Allow'))));
  dialog.querySelector('#prompt-form').addEventListener('submit', ev => {
    ev.preventDefault();
    const chosen = dialog.querySelector('input[name="prompt-target"]:checked');
    answer(true, chosen ? chosen.value : null);
  });
  dialog.querySelector('#prompt-deny').addEventListener('click', () => answer(false, null));
  // Escape is no answer: the prompt stays until it is answered or times out
  dialog.addEventListener('cancel', ev => ev.preventDefault());
  document.body.append(dialog);
}

function showFirst() {
  if (dialog && dialog.open) return;
  const p = prompts.values().next().value;
  if (!p) return;
  if (!dialog) buildDialog();
  dialog.dataset.prompt = p.id;
  const argument = p.argument === '+' ? '' : p.argument;
  dialog.querySelector('#prompt-text').replaceChildren(
    h('strong', { class: 'qube' }, p.source), ' wants to call ', h('code', {}, p.service + argument),
    ' in ', h('strong', {}, p.target_asked), '.');
  const box = dialog.querySelector('#prompt-targets');
  box.replaceChildren(h('legend', {}, 'Allow it to'), ...p.targets.map((t, i) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'prompt-target', value: t, checked: i === 0 }),
    ` ${t}${t === p.default_target ? ' (default)' : ''}`)));
  dialog.querySelector('#prompt-error').textContent = '';
  dialog.querySelector('#prompt-note').textContent = '';
  tick();
  clearInterval(countdown);
  countdown = setInterval(tick, 1000);
  dialog.showModal();
}

function tick() {
  const p = prompts.get(dialog.dataset.prompt);
  if (!p) return;
  const left = Math.max(0, Math.round((p.until - Date.now()) / 1000));
  dialog.querySelector('#prompt-left').textContent = `Denied in ${left} s unless answered.`;
}

function closeDialog() {
  clearInterval(countdown);
  if (dialog.open) dialog.close();
  delete dialog.dataset.prompt;
}

async function answer(allow, target) {
  const id = dialog.dataset.prompt;
  try {
    await page.opts.api('POST', `/policy/prompts/${encodeURIComponent(id)}`, allow ? { allow, target } : { allow });
    prompts.delete(id);
    closeDialog();
    showFirst();
  } catch (e) {
    const text = failed(e);
    if (e.status === 409) {
      // it ended meanwhile: timed out, or answered elsewhere
      remove(id, null);
    } else {
      dialog.querySelector('#prompt-error').textContent = text;
    }
  }
}

// ---- the policy page ------------------------------------------------------------------------------------

export function showPolicy(section) {
  page.section = section;
  page.shown = true;
  if (!page.built) build(section);
  loadCalls();
  loadFiles();
}

export function hidePolicy() {
  page.shown = false;
}

function build(section) {
  section.replaceChildren(
    h('h2', { id: 'policy-title', tabindex: '-1' }, 'Policy'),
    h('p', { class: 'hint' }, 'Which qube may call which service in which other qube, decided in dom0 by the files of etc/policy.d'
      + ' (read in order; the first rule that matches decides, none denies). A call the policy answers "ask" waits for you in a'
      + ' dialog on every page.'),
    h('h3', { id: 'calls-title' }, 'Recent calls'),
    h('table', { id: 'policy-calls', 'aria-labelledby': 'calls-title' },
      h('thead', {}, h('tr', {}, ...['Time', 'Source', 'Service', 'Target asked', 'Target', 'Decision', 'Detail']
        .map(t => h('th', { scope: 'col' }, t)))),
      h('tbody')),
    h('p', { id: 'policy-calls-note', class: 'hint', role: 'status' }),
    h('h3', { id: 'editor-title' }, 'Policy files'),
    h('p', { id: 'policy-status', class: 'hint' }),
    h('form', { id: 'policy-open', class: 'row' },
      h('label', {}, 'File ', h('select', { id: 'policy-file' })),
      h('button', { type: 'submit' }, 'Edit'),
      h('label', {}, 'New file ', h('input', { id: 'policy-new', placeholder: '30-user.policy', pattern: '[a-z0-9_\\-][a-z0-9_.\\-]*\\.policy' })),
      h('button', { type: 'button', id: 'policy-new-open' }, 'New')),
    h('form', { id: 'policy-editor', hidden: true },
      h('label', { for: 'policy-text' }, 'Editing ', h('code', { id: 'policy-editing' })),
      h('textarea', { id: 'policy-text', rows: 16, cols: 100, spellcheck: 'false', 'aria-describedby': 'policy-error' }),
      h('p', { id: 'policy-error', class: 'field-error', role: 'alert' }),
      h('p', { id: 'policy-result', class: 'hint', role: 'status' }),
      h('div', { class: 'row' },
        h('button', { type: 'button', id: 'policy-check' }, 'Check'),
        h('button', { type: 'submit', id: 'policy-save' }, 'Save'))));
  const q = id => section.querySelector('#' + id);
  q('policy-open').addEventListener('submit', ev => { ev.preventDefault(); edit(q('policy-file').value, false); });
  q('policy-new-open').addEventListener('click', () => edit(q('policy-new').value.trim(), true));
  q('policy-check').addEventListener('click', () => check(false));
  q('policy-editor').addEventListener('submit', ev => { ev.preventDefault(); check(true); });
  page.built = true;
}

async function loadCalls() {
  try {
    const r = await page.opts.api('GET', `/policy/calls?max=${MAX_CALLS_SHOWN}`);
    page.section.querySelector('#policy-calls tbody').replaceChildren();
    for (const c of r.calls) addCall(c);
    page.section.querySelector('#policy-calls-note').textContent = r.calls.length ? '' : 'No calls yet.';
  } catch (e) {
    page.section.querySelector('#policy-calls-note').textContent = failed(e);
  }
}

function addCall(c) {
  if (!page.built) return;
  const body = page.section.querySelector('#policy-calls tbody');
  const argument = c.argument === '+' ? '' : c.argument;
  body.prepend(h('tr', { class: c.allowed ? 'allowed' : 'refused' },
    h('td', {}, h('time', { datetime: c.time }, c.time.slice(11, 19))), h('td', {}, c.source), h('td', {}, h('code', {}, c.service + argument)),
    h('td', {}, c.target_asked), h('td', {}, c.target || '—'), h('td', {}, `${c.action}: ${c.allowed ? 'allowed' : 'refused'}`),
    h('td', {}, c.detail)));
  while (body.rows.length > MAX_CALLS_SHOWN) body.lastChild.remove();
  page.section.querySelector('#policy-calls-note').textContent = '';
}

async function loadFiles() {
  const q = id => page.section.querySelector('#' + id);
  try {
    const r = await page.opts.api('GET', '/policy/files');
    const select = q('policy-file');
    const keep = select.value;
    select.replaceChildren(...r.files.map(f => h('option', { value: f }, f)));
    if (r.files.includes(keep)) select.value = keep;
    const s = r.status;
    q('policy-status').textContent = `${s.rules} rules in force from ${s.files.length} files in ${s.directory}, loaded ${s.loaded}`
      + (s.problem ? `. Last reload refused: ${s.problem}` : '');
  } catch (e) {
    q('policy-status').textContent = failed(e);
  }
}

async function edit(file, fresh) {
  const q = id => page.section.querySelector('#' + id);
  q('policy-error').textContent = '';
  q('policy-result').textContent = '';
  try {
    const text = fresh ? '' : (await page.opts.api('GET', `/policy/files/${encodeURIComponent(file)}`)).text;
    page.editing = file;
    q('policy-editing').textContent = file;
    q('policy-text').value = text;
    q('policy-editor').hidden = false;
    q('policy-text').focus();
  } catch (e) {
    q('policy-result').textContent = failed(e);
  }
}

// Checks the text against the whole policy; with save, saves it when it passes (the platform checks again).
async function check(save) {
  const q = id => page.section.querySelector('#' + id);
  const file = page.editing;
  const text = q('policy-text').value;
  q('policy-error').textContent = '';
  q('policy-result').textContent = '';
  try {
    const path = `/policy/files/${encodeURIComponent(file)}`;
    if (save) {
      const s = await page.opts.api('PUT', path, { text });
      q('policy-result').textContent = `Saved ${file}: ${s.rules} rules in force.`;
      loadFiles();
    } else {
      await page.opts.api('POST', `${path}/check`, { text });
      q('policy-result').textContent = `${file} is fine: the policy loads with it. Nothing saved yet.`;
    }
  } catch (e) {
    q('policy-error').textContent = failed(e);
  }
}
