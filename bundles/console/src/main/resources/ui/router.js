// One URL per page, in the hash so that the platform serves one page and a reload stays where it was:
// #/ the qube list (its filter and sort in the query, #/?q=work&sort=state), #/qube/NAME a qube's
// settings (#/qube/NAME/firewall opens that section), #/settings the global settings, #/templates the
// templates, #/policy the qrexec policy (recent calls, its files).

const QUBE = /^\/qube\/([a-zA-Z][a-zA-Z0-9_.-]{0,30})(?:\/([a-z]+))?$/;

/** The page a hash names; anything unknown is the list. */
export function parse(hash) {
  const text = (hash || '').replace(/^#/, '') || '/';
  const [path, search] = text.split('?', 2);
  const query = new URLSearchParams(search || '');
  const m = QUBE.exec(path);
  if (m) return { page: 'qube', name: m[1], section: m[2] || null, query };
  if (path === '/settings') return { page: 'settings', name: null, section: null, query };
  if (path === '/templates') return { page: 'templates', name: null, section: null, query };
  if (path === '/policy') return { page: 'policy', name: null, section: null, query };
  return { page: 'list', name: null, section: null, query };
}

export function qubeUrl(name, section) {
  return `#/qube/${encodeURIComponent(name)}${section ? '/' + section : ''}`;
}

export function listUrl(query) {
  const q = query.toString();
  return q ? `#/?${q}` : '#/';
}

/** Changes the query of the list without a new history entry per key typed in the filter. */
export function replaceListQuery(query) {
  history.replaceState(null, '', listUrl(query));
}

/** Calls {@code fn} with each new page; a hash that names no page (an in-page link) is none. */
export function onRoute(fn) {
  window.addEventListener('hashchange', () => {
    if (location.hash === '' || location.hash.startsWith('#/')) fn(parse(location.hash));
  });
}
