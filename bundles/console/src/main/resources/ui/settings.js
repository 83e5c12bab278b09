// The global settings (#/settings), as qubes-prefs has them: the defaults every qube falls back to.
import { $, h, api, attempt, errorBox, qubeChoices, redraw, tracked } from './core.js';

const DESCRIPTIONS = {
  default_netvm: 'NetVM of every qube that names none of its own',
  default_template: 'Template of a new AppVM that names none',
  default_dispvm: 'Disposable template a qube starts its disposables from',
};

let refreshAll = async () => {};
export function initSettings(refresh) {
  refreshAll = refresh;
}

export async function showSettings() {
  $('page-settings').removeAttribute('data-shown');
  $('settings-title').focus();
  await updateSettings();
  $('page-settings').dataset.shown = 'true';
}

export async function updateSettings() {
  const global = await api('GET', '/global');
  redraw($('global'), () => $('global').replaceChildren(...Object.entries(global).map(([k, v]) => {
    const choices = qubeChoices(k);
    if (!choices.some(([c]) => c === v.value)) choices.push([v.value, v.value || 'none']);
    const select = tracked(h('select', { id: `global-${k}`, value: v.value }, ...choices.map(([c, t]) => h('option', { value: c }, t))));
    const box = errorBox(`global-${k}`, select);
    const hint = h('span', { class: 'hint', id: `global-${k}-hint` }, DESCRIPTIONS[k] || '');
    select.setAttribute('aria-describedby', `${box.id} ${hint.id}`);
    return h('form', { class: 'prop', 'data-global': k, onsubmit: ev => {
      ev.preventDefault();
      attempt(`${k} set to ${select.value || 'none'}`, async () => {
        await api('PUT', `/global/${k}`, { value: select.value });
        delete select.dataset.dirty;
        await refreshAll();
      }, box);
    } }, h('label', { for: select.id, class: 'prop-name' }, k), select, h('button', { type: 'submit', 'aria-label': `Set ${k}` }, 'Set'),
    box, hint);
  })));
}
