// The templates page (#/templates): the installed templates (version, size, signing key, who uses
// them) with verify and remove; the packages of the distribution's templates/ directory not yet
// installed; an upload of a package. An install runs on the platform as a job whose progress the
// page polls; the platform checks a package exactly as qvm:template install does.
//
// Exports:
//   showTemplates(section, { api, csrf, onLogin, onChange })  Draws the page into section and keeps it
//       current while it is shown. api(method, path, body) is the console's JSON API call, csrf() the
//       session's CSRF token, onLogin() shows the login (the session ended), onChange() tells the rest
//       of the console that qubes changed (a TemplateVM came or went).
//   refreshTemplates()  Draws the lists again if the page is shown (qubes changed: who uses a template).
//   hideTemplates()  Stops what showTemplates keeps running.

const JOB_POLL_MS = 500;
// notes: what verify or remove said next to each installed template, kept when the list is drawn again
const page = { section: null, opts: null, polls: new Map(), built: false, notes: new Map(), drawn: {} };

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function bytes(n) {
  if (n < 0) return '?';
  if (n < 1024) return `${n} B`;
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(0)} KiB`;
}

function failed(e) {
  if (e.status === 401) page.opts.onLogin();
  return e.message;
}

// An error or a result shown next to the control that caused it.
function note(target, text, error) {
  target.textContent = text;
  target.classList.toggle('error', !!error);
}

// The note of an installed template: kept, and shown in its row as drawn now (the row may have been drawn anew meanwhile).
function templateNote(name, target, text, error, verified) {
  page.notes.set(name, { text, error, verified });
  const shown = page.section.querySelector(`#templates-installed [data-note="${CSS.escape(name)}"]`) || target;
  note(shown, text, error);
  if (verified) shown.dataset.verified = verified;
}

function build(section) {
  section.replaceChildren(
    h('h2', { id: 'templates-title', tabindex: '-1' }, 'Templates'),
    h('p', { class: 'hint' }, 'A template is the root every qube made from it starts with. A package is installed only when its'
      + ' signature is made by a trusted key (etc/template-keys) and every file in it is whole and safe, as qvm:template install checks.'),
    h('h3', {}, 'Installed'),
    h('table', { id: 'templates-installed' },
      h('caption', { class: 'sr-only' }, 'Installed templates with their version, size, signing key and the qubes that use them'),
      h('thead', {}, h('tr', {}, ...['Name', 'Version', 'Built', 'Size', 'Signed by', 'Used by', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody')),
    h('h3', {}, 'From the distribution'),
    h('p', { class: 'hint', id: 'templates-directory' }),
    h('table', { id: 'templates-available' },
      h('caption', { class: 'sr-only' }, 'Template packages shipped in the distribution'),
      h('thead', {}, h('tr', {}, ...['Package', 'Template', 'Version', 'Size', 'Install'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody')),
    h('h3', {}, 'Upload a package'),
    h('form', { id: 'template-upload', class: 'row' },
      h('label', {}, 'Template package (.bht)', h('input', { id: 'template-file', type: 'file', accept: '.bht', required: true })),
      // as qvm:template install --allow-unknown-key: off unless asked for, each time, with what it means
      h('label', {}, h('input', { id: 'template-allow-unknown', type: 'checkbox', 'aria-describedby': 'template-allow-unknown-warning' }),
        ' Allow a signing key that is not trusted'),
      h('p', { id: 'template-allow-unknown-warning', class: 'hint warning' }, 'Warning: a package signed by a key that is not in',
        ' etc/template-keys could have been made by anyone; its root runs in every qube based on it. Its signature and files',
        ' are still checked.'),
      h('button', { type: 'submit' }, 'Upload and install'),
      h('span', { id: 'template-upload-note', class: 'note', role: 'status', 'aria-live': 'polite' })),
    h('h3', {}, 'Installs'),
    h('ol', { id: 'template-installs', class: 'installs' }));
  section.querySelector('#template-upload').addEventListener('submit', upload);
  page.built = true;
}

export function showTemplates(section, opts) {
  page.section = section;
  page.opts = opts;
  if (!page.built) build(section);
  load().catch(e => note(section.querySelector('#template-upload-note'), failed(e), true));
  section.querySelector('#templates-title').focus();
}

export function refreshTemplates() {
  if (page.section && !page.section.hidden) load().catch(e => failed(e));
}

export function hideTemplates() {
  for (const t of page.polls.values()) clearTimeout(t);
  page.polls.clear();
}

async function load() {
  const r = await page.opts.api('GET', '/templates');
  // the lists are drawn anew: a button that had the focus gets it back
  const active = document.activeElement;
  const focused = active && page.section.contains(active) ? active.getAttribute('aria-label') : null;
  // drawn again only when they changed, so that a control being used is not replaced under the user
  const installed = JSON.stringify(r.templates), available = JSON.stringify([r.available, r.directory]);
  if (installed !== page.drawn.installed) renderInstalled(r.templates);
  if (available !== page.drawn.available) renderAvailable(r.available, r.directory);
  page.drawn = { installed, available };
  if (focused && !page.section.contains(document.activeElement)) {
    const again = page.section.querySelector(`[aria-label="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  renderJobs(r.installs);
  for (const job of r.installs) if (job.state === 'queued' || job.state === 'running') follow(job.id);
}

function renderInstalled(templates) {
  const body = page.section.querySelector('#templates-installed tbody');
  if (!templates.length) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: '7' }, 'none: install one from the distribution or upload a package')));
    return;
  }
  body.replaceChildren(...templates.map(t => {
    const result = h('div', { class: 'note', role: 'status', 'data-note': t.name });
    const kept = page.notes.get(t.name);
    if (kept) {
      note(result, kept.text, kept.error);
      if (kept.verified) result.dataset.verified = kept.verified;
    }
    const users = [...t.used_by, ...t.global_default.map(p => `global ${p}`)];
    const key = h('span', { class: t.key_trusted ? '' : 'error' }, t.key_id, t.key_trusted ? ' (trusted)' : ' (NOT trusted)');
    return h('tr', { 'data-template': t.name },
      h('td', {}, t.name, t.qube_present ? '' : h('span', { class: 'hint' }, ' (TemplateVM removed)')),
      h('td', {}, t.version),
      h('td', {}, t.built ? t.built.slice(0, 10) : '-'),
      h('td', { title: `payload ${bytes(t.payload_bytes)}, unpacked root ${bytes(t.unpacked_bytes)}` }, bytes(t.unpacked_bytes || t.payload_bytes)),
      h('td', {}, key),
      h('td', { class: 'users' }, users.length ? users.join(', ') : 'none'),
      h('td', {},
        h('div', { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Verify template ${t.name}`, onclick: () => verify(t.name, result) }, 'Verify'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove template ${t.name}`, onclick: () => remove(t.name, result) }, 'Remove')),
        result));
  }));
}

function renderAvailable(packages, directory) {
  page.section.querySelector('#templates-directory').textContent = `Packages in ${directory}`;
  const body = page.section.querySelector('#templates-available tbody');
  if (!packages.length) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: '5' }, 'none')));
    return;
  }
  body.replaceChildren(...packages.map(p => {
    const result = h('div', { class: 'note', role: 'status' });
    return h('tr', { 'data-package': p.file },
      h('td', {}, p.file), h('td', {}, p.name), h('td', {}, p.version), h('td', {}, bytes(p.size_bytes)),
      h('td', {}, p.installed ? 'installed' : h('button', { type: 'button', 'aria-label': `Install package ${p.file}`,
        onclick: () => installPackage(p.file, result) }, 'Install'), result));
  }));
}

function renderJobs(jobs) {
  const list = page.section.querySelector('#template-installs');
  for (const job of jobs.slice().reverse()) renderJob(job);
  if (!jobs.length && !list.children.length) list.replaceChildren(h('li', { class: 'hint' }, 'none yet'));
}

function renderJob(job) {
  const list = page.section.querySelector('#template-installs');
  const placeholder = list.querySelector('li.hint');
  if (placeholder) placeholder.remove();
  let item = list.querySelector(`li[data-job="${CSS.escape(job.id)}"]`);
  if (!item) {
    item = h('li', { 'data-job': job.id });
    list.prepend(item);
  }
  item.dataset.state = job.state;
  const percent = job.total > 0 ? Math.min(100, Math.floor(job.done * 100 / job.total)) : (job.state === 'done' ? 100 : 0);
  const what = job.state === 'done' ? `installed ${job.template}`
    : job.state === 'failed' ? `refused: ${job.error}`
      : job.phase ? `${job.phase} ${percent} %` : job.state;
  item.replaceChildren(
    h('span', {}, job.source, ' '),
    job.state === 'running' || job.state === 'queued'
      ? h('progress', { max: '100', value: String(percent), 'aria-label': `Install of ${job.source}` }) : '',
    h('span', { class: job.state === 'failed' ? 'error' : '' }, ' ', what));
}

// Polls a job until it ends; then the lists are drawn again.
function follow(id) {
  if (page.polls.has(id)) return;
  const tick = async () => {
    try {
      const job = await page.opts.api('GET', `/templates/installs/${encodeURIComponent(id)}`);
      renderJob(job);
      if (job.state === 'done' || job.state === 'failed') {
        page.polls.delete(id);
        if (page.uploadJob === id) {
          note(page.section.querySelector('#template-upload-note'), job.state === 'done' ? `installed ${job.template}`
            : `refused: ${job.error}`, job.state === 'failed');
        }
        await load();
        page.opts.onChange();
        return;
      }
    } catch (e) {
      failed(e);
      if (e.status === 401 || e.status === 404) { page.polls.delete(id); return; }
    }
    page.polls.set(id, setTimeout(tick, JOB_POLL_MS));
  };
  page.polls.set(id, setTimeout(tick, 0));
}

async function installPackage(file, result) {
  try {
    const job = await page.opts.api('POST', '/templates/installs', { file });
    note(result, 'installing…');
    renderJob(job);
    follow(job.id);
  } catch (e) {
    note(result, failed(e), true);
  }
}

async function upload(ev) {
  ev.preventDefault();
  const input = page.section.querySelector('#template-file');
  const result = page.section.querySelector('#template-upload-note');
  const file = input.files[0];
  if (!file) return;
  note(result, `uploading ${file.name}…`);
  try {
    // the file goes as the body, streamed from disk by the browser
    const allow = page.section.querySelector('#template-allow-unknown');
    const res = await fetch(`/api/templates/uploads?file=${encodeURIComponent(file.name)}${allow.checked ? '&allow_unknown_key=true' : ''}`, {
      method: 'POST', credentials: 'same-origin', body: file,
      headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': page.opts.csrf() } });
    const data = await res.json();
    if (!res.ok) {
      const err = new Error(data.detail || `${res.status} ${res.statusText}`);
      err.status = res.status;
      throw err;
    }
    note(result, `uploaded ${file.name}; installing`);
    page.uploadJob = data.id;
    input.value = '';
    allow.checked = false;
    renderJob(data);
    follow(data.id);
  } catch (e) {
    note(result, failed(e), true);
  }
}

async function verify(name, result) {
  note(result, 'verifying…');
  try {
    const v = await page.opts.api('POST', `/templates/installed/${encodeURIComponent(name)}/verify`);
    const text = v.ok ? `OK: signed by ${v.key_id}, every file whole`
      : `FAILED: ${v.problems.length ? v.problems.join('; ') : `key ${v.key_id} is not trusted`}`;
    templateNote(name, result, text, !v.ok, v.ok ? 'ok' : 'failed');
  } catch (e) {
    templateNote(name, result, failed(e), true);
  }
}

async function remove(name, result) {
  if (!confirm(`Remove template ${name} and its TemplateVM?`)) return;
  try {
    await page.opts.api('DELETE', `/templates/installed/${encodeURIComponent(name)}`);
    page.notes.delete(name);
    await load();
    page.opts.onChange();
  } catch (e) {
    templateNote(name, result, failed(e), true);
  }
}
