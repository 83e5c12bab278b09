// The network as a picture: each qube is drawn one column to the right of its netvm, and the
// netvms at the head of a chain connect to the outside. Qubes without a network stand apart. Each
// qube is a link to its settings page; a legend below says what the picture means.

const SVG = 'http://www.w3.org/2000/svg';
const BOX_W = 130, BOX_H = 34, COL_GAP = 60, ROW_GAP = 14, PAD = 16;

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Columns: 0 is the outside, then each hop away from it; qubes with no network go last. */
export function layout(qubes) {
  const byName = new Map(qubes.filter(q => q.qid !== 0).map(q => [q.name, q]));
  const netvmOf = q => q.properties.netvm ? q.properties.netvm.value : '';
  const depth = new Map();
  const depthOf = (q, seen = new Set()) => {
    if (depth.has(q.name)) return depth.get(q.name);
    const n = netvmOf(q);
    let d;
    if (!n || !byName.has(n) || seen.has(n)) {
      d = q.properties.provides_network && q.properties.provides_network.value === 'True' ? 1 : -1;
    } else {
      seen.add(q.name);
      const up = depthOf(byName.get(n), seen);
      d = up < 0 ? -1 : up + 1;
    }
    depth.set(q.name, d);
    return d;
  };
  byName.forEach(q => depthOf(q));
  const maxDepth = Math.max(1, ...depth.values());
  const columns = [];
  for (const q of [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const c = depth.get(q.name) < 0 ? maxDepth + 1 : depth.get(q.name);
    (columns[c] = columns[c] || []).push(q);
  }
  const edges = [];
  byName.forEach(q => {
    const n = netvmOf(q);
    if (n && byName.has(n) && depth.get(q.name) > 0) edges.push([q.name, n]);
    else if (depth.get(q.name) === 1) edges.push([q.name, 'outside']);
  });
  return { columns, edges, offlineColumn: maxDepth + 1 };
}

/** Replaces the contents of {@code container} with the picture of the qubes' network. */
export function drawTopology(container, qubes) {
  const { columns, edges, offlineColumn } = layout(qubes);
  const rows = Math.max(1, ...columns.filter(Boolean).map(c => c.length));
  const width = PAD * 2 + (offlineColumn + 1) * (BOX_W + COL_GAP);
  const height = PAD * 2 + 22 + rows * (BOX_H + ROW_GAP);
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-labelledby': 'topology-caption' });
  const names = [];
  const pos = new Map();
  const x = c => PAD + c * (BOX_W + COL_GAP);
  const y = r => PAD + 22 + r * (BOX_H + ROW_GAP);
  svg.append(el('text', { x: x(0), y: PAD + 10 }, 'outside'));
  svg.append(el('text', { x: x(offlineColumn), y: PAD + 10 }, 'no network'));
  pos.set('outside', { x: x(0), y: y(0) });
  columns.forEach((col, c) => (col || []).forEach((q, r) => pos.set(q.name, { x: x(c), y: y(r) })));

  const edgeLayer = el('g');
  for (const [from, to] of edges) {
    const a = pos.get(from), b = pos.get(to);
    edgeLayer.append(el('line', { class: 'edge', 'data-edge': `${from}->${to}`,
      x1: a.x, y1: a.y + BOX_H / 2, x2: b.x + BOX_W, y2: b.y + BOX_H / 2 }));
  }
  svg.append(edgeLayer);

  const outside = el('g', { class: 'outside', 'data-qube': 'outside' });
  outside.append(el('rect', { x: x(0), y: y(0), width: BOX_W, height: BOX_H, rx: 16 }));
  outside.append(el('text', { x: x(0) + 12, y: y(0) + 21 }, 'the network'));
  svg.append(outside);

  columns.forEach(col => (col || []).forEach(q => {
    const p = pos.get(q.name);
    const running = q.state === 'Running' || q.state === 'Paused';
    const g = el('g', { class: `node ${running ? 'running' : 'halted'}`, 'data-qube': q.name, 'data-state': q.state });
    g.append(el('title', {}, `${q.name}: ${q.state}, ${q.klass}, label ${q.label}`));
    g.append(el('rect', { x: p.x, y: p.y, width: BOX_W, height: BOX_H, rx: 4, stroke: q.color }));
    g.append(el('text', { x: p.x + 8, y: p.y + 21 }, q.name.length > 17 ? q.name.slice(0, 16) + '…' : q.name));
    const href = `#/qube/${encodeURIComponent(q.name)}`;
    const link = el('a', { href, 'aria-label': `Open ${q.name}: ${q.state}${netvmText(q)}` });
    // Enter follows the link as on an HTML one, whatever the browser does with SVG links
    link.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        location.hash = href;
      }
    });
    link.append(g);
    svg.append(link);
    names.push(q.name + (netvmText(q)));
  }));
  const caption = el('title', { id: 'topology-caption' },
    'Network of the qubes: ' + (names.length ? names.join('; ') : 'no qubes'));
  svg.prepend(caption);
  container.replaceChildren(svg, legend());
}

/** What the colours, lines and boxes of the picture mean, as a list a screen reader reads too. */
function legend() {
  const item = (cls, text) => {
    const li = document.createElement('li');
    const key = document.createElementNS(SVG, 'svg');
    key.setAttribute('width', '34');
    key.setAttribute('height', '16');
    key.setAttribute('aria-hidden', 'true');
    key.setAttribute('class', `key ${cls}`);
    key.append(cls === 'key-edge' ? el('line', { class: 'edge', x1: 2, y1: 8, x2: 32, y2: 8 })
      : el('rect', { x: 2, y: 2, width: 30, height: 12, rx: cls === 'key-outside' ? 6 : 2 }));
    li.append(key, document.createTextNode(text));
    return li;
  };
  const list = document.createElement('ul');
  list.className = 'legend';
  list.setAttribute('aria-label', 'Legend of the network picture');
  list.append(
    item('key-running', 'a running (or paused) qube: filled; its border has the colour of its label'),
    item('key-halted', 'a halted qube: dashed border'),
    item('key-edge', 'a line: the qube on the right gets its network through the one on the left (its netvm)'),
    item('key-outside', 'the network: what lies beyond the platform, reached through a NetVM\'s uplink'),
  );
  const column = document.createElement('li');
  column.textContent = '"no network": qubes with no netvm, cut off from everything. Select a qube to open its settings.';
  list.append(column);
  return list;
}

function netvmText(q) {
  const n = q.properties.netvm ? q.properties.netvm.value : '';
  return n ? ` through ${n}` : (q.properties.provides_network && q.properties.provides_network.value === 'True' ? ' to the outside' : ', no network');
}
