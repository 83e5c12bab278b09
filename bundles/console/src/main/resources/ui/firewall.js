// A qube's firewall as a structured editor: each rule's fields in a form, a rule edited in place,
// moved up or down, deleted. Every change sends the whole new list with the list it replaces, so
// the platform applies it at once, or refuses it when the rules changed meanwhile, and a rule it
// refuses is named field by field next to the field.
import { $, h, api, errorBox, say, state, unauthorized } from './core.js';

const FIELDS = ['action', 'dsthost', 'specialtarget', 'proto', 'dstports', 'icmptype', 'expire', 'comment'];
let current = { qube: null, rules: [] };
let editing = null;
// Reads of the rules are numbered as they are sent: an answer to an older read than the one drawn
// (a refresh sent before a change, answered after it) is stale and is not drawn over the newer rules.
// A read sent while a change is on its way may be answered before or after the change: it gets no
// number (0) and is not drawn; the change's own answer and the refresh its event brings are.
let sent = 0;
let drawn = 0;
let changing = 0;

/** Numbers a read of the rules about to be sent; its answer goes to drawFirewall with the number. */
export function firewallRead() {
  return changing ? 0 : ++sent;
}

export function initFirewall() {
  for (const f of FIELDS) $(`fw-${f}`).after(errorBox(`fw-${f}`, $(`fw-${f}`)));
  $('rule-form').append(errorBox('fw-form'));
  $('rules').after(errorBox('fw-list'));
  $('rule-form').addEventListener('submit', ev => {
    ev.preventDefault();
    save();
  });
  $('fw-cancel').addEventListener('click', () => edit(null));
  $('fw-proto').addEventListener('change', showFieldsForProto);
}

function showFieldsForProto() {
  const proto = $('fw-proto').value;
  $('fw-dstports').disabled = proto !== 'tcp' && proto !== 'udp';
  $('fw-icmptype').disabled = proto !== 'icmp';
}

/** The rule's text form from the fields; a value with a space in it would read as more than one field. */
function ruleText() {
  const parts = [`action=${$('fw-action').value}`];
  for (const f of ['proto', 'dsthost', 'dstports', 'icmptype', 'specialtarget']) {
    const input = $(`fw-${f}`);
    const v = input.disabled ? '' : input.value.trim();
    if (/\s/.test(v)) throw fieldProblem(f, `${f} may not contain spaces`);
    if (v) parts.push(`${f}=${v}`);
  }
  const expire = $('fw-expire').value;
  if (expire) {
    const t = new Date(expire).getTime();
    if (Number.isNaN(t)) throw fieldProblem('expire', 'a date and time');
    parts.push(`expire=${Math.floor(t / 1000)}`);
  }
  const comment = $('fw-comment').value.trim();
  if (comment) parts.push(`comment=${comment}`);
  return parts.join(' ');
}

function fieldProblem(field, message) {
  const e = new Error(message);
  e.subject = field;
  return e;
}

function localTime(iso) {
  const d = new Date(iso);
  const pad = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function clearErrors() {
  for (const f of [...FIELDS, 'form']) {
    const box = $(`error-fw-${f}`);
    box.textContent = '';
    state.errors.delete(box.dataset.key);
    const input = $(`fw-${f}`);
    if (input) input.removeAttribute('aria-invalid');
  }
}

/** Shows a refusal next to the field it names ("rule 2 dsthost" names dsthost), else below the form. */
function showError(e) {
  const field = FIELDS.find(f => e.subject && e.subject.split(' ').pop() === f);
  const box = $(`error-fw-${field || 'form'}`);
  box.textContent = e.message;
  state.errors.set(box.dataset.key, e.message);
  if (field) {
    $(`fw-${field}`).setAttribute('aria-invalid', 'true');
    $(`fw-${field}`).focus();
  }
  say(e.message, true);
}

/** Puts a rule into the form to edit it in place; null empties the form for a new rule. */
function edit(index) {
  editing = index;
  clearErrors();
  const r = index === null ? { action: 'accept' } : current.rules[index];
  for (const f of FIELDS) $(`fw-${f}`).value = f === 'expire' ? (r.expire ? localTime(r.expire) : '') : (r[f] ?? '');
  showFieldsForProto();
  $('fw-submit').textContent = index === null ? 'Add rule' : `Save rule ${index}`;
  $('fw-cancel').hidden = index === null;
  $('fw-position-label').hidden = index !== null;
  $('rule-form-title').textContent = index === null ? 'New rule' : `Rule ${index}`;
  if (index !== null) $('fw-action').focus();
}

/** Sends the new list in place of the one shown; a refusal changes nothing. */
async function replace(what, rules, onError) {
  const name = current.qube;
  try {
    const read = ++sent;
    changing++;
    let r;
    try {
      r = await api('PUT', `/qubes/${name}/firewall`, { rules, replaces: current.rules.map(x => x.text) });
    } finally {
      changing--;
    }
    clearErrors();
    $('error-fw-list').textContent = '';
    state.errors.delete('fw-list');
    say(what);
    drawFirewall(state.qubes.find(q => q.name === name), r, read);
    return true;
  } catch (e) {
    if (e.status === 401) unauthorized();
    else onError(e);
    return false;
  }
}

async function save() {
  clearErrors();
  let text;
  try {
    text = ruleText();
  } catch (e) {
    showError(e);
    return;
  }
  const texts = current.rules.map(r => r.text);
  if (editing === null) {
    const at = $('fw-position').value === '' ? texts.length : Number($('fw-position').value);
    texts.splice(at, 0, text);
  } else {
    texts[editing] = text;
  }
  const what = editing === null ? `Rule added to ${current.qube}` : `Rule ${editing} of ${current.qube} saved`;
  if (await replace(what, texts, showError)) edit(null);
}

function move(index, by) {
  const texts = current.rules.map(r => r.text);
  const [rule] = texts.splice(index, 1);
  texts.splice(index + by, 0, rule);
  replace(`Rule ${index} of ${current.qube} moved ${by < 0 ? 'up' : 'down'}`, texts, listError)
    .then(ok => ok && document.querySelector(`[aria-label="Move rule ${index + by} ${by < 0 ? 'up' : 'down'}"]`)?.focus());
}

function remove(index) {
  const texts = current.rules.map(r => r.text);
  texts.splice(index, 1);
  if (editing === index) edit(null);
  replace(`Rule ${index} of ${current.qube} deleted`, texts, listError);
}

function listError(e) {
  const box = $('error-fw-list');
  box.textContent = e.message;
  state.errors.set(box.dataset.key, e.message);
  say(e.message, true);
}

function cell(v) {
  return h('td', {}, v === undefined || v === null || v === '' ? '-' : String(v));
}

/** Draws the rules of a qube; {@code r} is the API's rule list, null for dom0, the answer to read {@code read}. */
export function drawFirewall(q, r, read) {
  const fresh = current.qube !== q.name;
  if (!fresh && (read === 0 || read < drawn)) return;
  drawn = Math.max(read, drawn);
  $('firewall-body').hidden = r === null;
  $('firewall-none').hidden = r !== null;
  if (r === null) return;
  current = { qube: q.name, rules: r.rules };
  if (fresh) edit(null);
  const active = document.activeElement && document.activeElement.getAttribute('aria-label');
  const n = r.rules.length;
  $('rules').tBodies[0].replaceChildren(...r.rules.map((rule, i) => h('tr', { 'data-rule': rule.text, 'data-index': String(i) },
    h('td', {}, String(i), rule.shadowed_by === undefined ? null
      : h('span', { class: 'notice shadowed', role: 'img', 'aria-label': `Rule ${i} never matches: rule ${rule.shadowed_by} before it matches all it would`,
        title: `never matches: rule ${rule.shadowed_by} before it matches all it would; move it up` }, ' ⚠')),
    cell(rule.action), cell(rule.specialtarget ? `special: ${rule.specialtarget}` : rule.dsthost || 'anywhere'),
    cell(rule.proto || 'any'), cell(rule.dstports ?? rule.icmptype), cell(rule.expire ? new Date(rule.expire).toLocaleString() : ''),
    cell(rule.comment),
    h('td', {}, h('div', { class: 'actions' },
      h('button', { type: 'button', 'aria-label': `Edit rule ${i}`, onclick: () => edit(i) }, 'Edit'),
      h('button', { type: 'button', 'aria-label': `Move rule ${i} up`, disabled: i === 0, onclick: () => move(i, -1) }, '↑'),
      h('button', { type: 'button', 'aria-label': `Move rule ${i} down`, disabled: i === n - 1, onclick: () => move(i, 1) }, '↓'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Delete rule ${i}`, onclick: () => remove(i) }, 'Delete'))))));
  if (!n) $('rules').tBodies[0].replaceChildren(h('tr', {}, h('td', { colspan: '8' }, 'no rules: the qube may send nothing')));
  if (active) document.querySelector(`#rules [aria-label="${CSS.escape(active)}"]`)?.focus();
  if (fresh) $('error-fw-list').textContent = '';
  const problems = r.problems || [];
  $('firewall-problems').replaceChildren(...problems.map(p => h('li', {}, p)));
  $('firewall-problems').hidden = problems.length === 0;
  const position = $('fw-position');
  const before = position.value;
  position.replaceChildren(h('option', { value: '' }, 'at the end'),
    ...r.rules.map((rule, i) => h('option', { value: String(i) }, `before rule ${i} (${rule.text.slice(0, 40)})`)));
  if ([...position.options].some(o => o.value === before)) position.value = before;
}
