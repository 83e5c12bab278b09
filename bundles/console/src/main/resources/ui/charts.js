// CPU and memory charts of the qubes, drawn as SVG from the history the platform keeps
// (GET /api/stats/history: a sample every few seconds of every running qube, at least 10 minutes of
// them, kept whether or not a page is open). A chart is therefore full from its first paint.
//
// Exports:
//   drawUsage(element, qubeName)  Draws a large CPU chart and a large memory chart of one qube into
//                                 element (replacing what it holds), with the figures now and the
//                                 memory setting beside them, and keeps them live while element is in
//                                 the document. Returns a function that stops the updates. The qube page
//                                 embeds it: drawUsage(document.getElementById('usage'), 'work').
//   usageCells(qubeName)          { cpu, memory }: the two small charts with their figures for the qube
//                                 list's CPU and memory cells, or null while there is no sample.
//   loadHistory()                 Fetches the whole window once (at page load); returns a promise.
//   refreshHistory()              Fetches the last minute and adds what is new; returns a promise.
//   startHistory(), stopHistory() Refresh every period (idempotent), or stop; drawUsage starts it.
//   onHistory(listener)           Calls listener() after each load or refresh; returns an unsubscribe function.
//
// Fetches fail with an Error whose status is the HTTP status (401: the session ended).
// CPU is in percent of one CPU (a qube with 2 vCPUs may reach 200 %); a stopped qube counts as 0.

const SVG = 'http://www.w3.org/2000/svg';
export const WINDOW_MINUTES = 10;
const REFRESH_MINUTES = 1;
const MIB = 1048576;

const store = { qubes: new Map(), periodMs: 2000, time: 0, timer: null, listeners: new Set(), loaded: false };

async function fetchHistory(minutes) {
  const res = await fetch(`/api/stats/history?minutes=${minutes}`, { credentials: 'same-origin' });
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json() : null;
  if (!res.ok) {
    const err = new Error(data && data.detail ? data.detail : `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function merge(data, whole) {
  store.periodMs = data.period_seconds * 1000;
  store.time = Date.parse(data.time);
  const oldest = store.time - WINDOW_MINUTES * 60000;
  for (const [name, q] of Object.entries(data.qubes)) {
    const known = store.qubes.get(name);
    const samples = known && !whole ? known.samples : [];
    const last = samples.length ? samples[samples.length - 1].time : -Infinity;
    for (const s of q.samples) if (s.time > last) samples.push(s);
    while (samples.length && samples[0].time < oldest) samples.shift();
    store.qubes.set(name, { memory_mib: q.memory_mib, maxmem_mib: q.maxmem_mib, samples });
  }
  // a qube that is gone has no history left; one the refresh did not name keeps what it had, ageing out
  for (const [name, q] of store.qubes) {
    if (whole && !(name in data.qubes)) store.qubes.delete(name);
    else {
      while (q.samples.length && q.samples[0].time < oldest) q.samples.shift();
      if (!q.samples.length) store.qubes.delete(name);
    }
  }
  store.loaded = true;
  for (const l of [...store.listeners]) l();
}

export async function loadHistory() {
  merge(await fetchHistory(WINDOW_MINUTES), true);
}

export async function refreshHistory() {
  if (!store.loaded) return loadHistory();
  merge(await fetchHistory(REFRESH_MINUTES), false);
}

export function startHistory() {
  if (store.timer) return;
  store.timer = setInterval(() => refreshHistory().catch(() => {}), store.periodMs);
  if (!store.loaded) loadHistory().catch(() => {});
}

export function stopHistory() {
  clearInterval(store.timer);
  store.timer = null;
}

export function onHistory(listener) {
  store.listeners.add(listener);
  return () => store.listeners.delete(listener);
}

// ---- drawing ------------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function html(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// The points of one metric: a stopped qube counts as 0, and its line climbs at the next start, not
// across the time it was stopped; the first sample of a run has no CPU rate and is left out.
function points(samples, metric) {
  const pts = [];
  let stopped = false;
  for (const s of samples) {
    if (!s.running) {
      pts.push([s.time, 0]);
      stopped = true;
      continue;
    }
    const v = metric === 'cpu' ? s.cpu_percent : s.memory_bytes / MIB;
    if (v === null || v === undefined) continue;
    if (stopped) pts.push([s.time - 1, 0]);
    stopped = false;
    pts.push([s.time, v]);
  }
  return pts;
}

function lastValue(samples, metric) {
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i];
    if (!s.running) return 0;
    const v = metric === 'cpu' ? s.cpu_percent : s.memory_bytes / MIB;
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

function fmtMib(v) {
  return v >= 1024 ? `${(v / 1024).toFixed(1)} GiB` : `${v.toFixed(v < 10 ? 1 : 0)} MiB`;
}

// One chart: the last WINDOW_MINUTES up to the newest sample, top at `top`; a dashed line at `limit` when given.
function chart(pts, { width, height, top, limit, label, axis }) {
  const end = store.time || Date.now();
  const start = end - WINDOW_MINUTES * 60000;
  const pad = 1;
  const x = t => ((t - start) / (end - start) * (width - 2 * pad) + pad).toFixed(1);
  const y = v => (height - pad - Math.min(v, top) / top * (height - 2 * pad)).toFixed(1);
  const svg = el('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label,
    'data-samples': String(pts.length) });
  svg.append(el('title', {}, label));
  svg.append(el('rect', { class: 'frame', x: 0.5, y: 0.5, width: width - 1, height: height - 1 }));
  for (const f of [0.25, 0.5, 0.75]) svg.append(el('line', { class: 'grid', x1: 0, x2: width, y1: y(top * f), y2: y(top * f) }));
  if (axis) {
    for (let m = 0; m <= WINDOW_MINUTES; m += 2) {
      const tx = x(end - m * 60000);
      svg.append(el('line', { class: 'grid', x1: tx, x2: tx, y1: 0, y2: height }));
    }
  }
  if (limit && limit <= top) svg.append(el('line', { class: 'limit', x1: 0, x2: width, y1: y(limit), y2: y(limit) }));
  const visible = pts.filter(([t]) => t >= start);
  if (visible.length) {
    const line = visible.map(([t, v]) => `${x(t)},${y(v)}`).join(' ');
    svg.append(el('polygon', { class: 'area', points: `${x(visible[0][0])},${y(0)} ${line} ${x(visible[visible.length - 1][0])},${y(0)}` }));
    svg.append(el('polyline', { class: 'line', points: line }));
  }
  return svg;
}

function cpuTop(pts) {
  return Math.max(100, ...pts.map(([, v]) => v));
}

// Memory is scaled to its use, so that a small one reads too; the memory setting is beside it, and a
// dashed line where the scale reaches it.
function memTop(pts) {
  return Math.max(1, ...pts.map(([, v]) => v * 1.25));
}

function memoryLimitText(q) {
  if (!q.memory_mib) return '';
  return q.maxmem_mib && q.maxmem_mib !== q.memory_mib ? ` of ${fmtMib(q.memory_mib)} (max ${fmtMib(q.maxmem_mib)})` : ` of ${fmtMib(q.memory_mib)}`;
}

export function usageCells(name) {
  const q = store.qubes.get(name);
  if (!q || !q.samples.length) return null;
  const cpuPts = points(q.samples, 'cpu'), memPts = points(q.samples, 'memory');
  const cpuNow = lastValue(q.samples, 'cpu'), memNow = lastValue(q.samples, 'memory');
  const cpu = html('div', 'usage');
  cpu.append(html('span', 'figure', cpuNow === null ? '…' : `${cpuNow.toFixed(1)} %`),
    chart(cpuPts, { width: 150, height: 34, top: cpuTop(cpuPts), label: `CPU of ${name}, last ${WINDOW_MINUTES} minutes` }));
  const memory = html('div', 'usage');
  const figure = html('span', 'figure', memNow === null ? '…' : fmtMib(memNow));
  figure.append(html('span', 'limit-text', memoryLimitText(q)));
  memory.append(figure, chart(memPts, { width: 150, height: 34, top: memTop(memPts), limit: q.memory_mib,
    label: `Memory of ${name}, last ${WINDOW_MINUTES} minutes, against its memory setting` }));
  return { cpu, memory };
}

function drawLarge(element, name) {
  const q = store.qubes.get(name);
  const box = html('div', 'usage-large');
  box.dataset.qube = name;
  if (!q || !q.samples.length) {
    box.append(html('p', 'hint', store.loaded ? `No samples of ${name} in the last ${WINDOW_MINUTES} minutes: it has not run.` : 'Loading…'));
    element.replaceChildren(box);
    return;
  }
  const cpuPts = points(q.samples, 'cpu'), memPts = points(q.samples, 'memory');
  const cpuNow = lastValue(q.samples, 'cpu'), memNow = lastValue(q.samples, 'memory');
  const cpuFig = html('figure', 'usage-chart');
  const cpuTopValue = cpuTop(cpuPts);
  cpuFig.append(html('figcaption', '', `CPU ${cpuNow === null ? '…' : cpuNow.toFixed(1) + ' %'} · scale ${cpuTopValue.toFixed(0)} % of one CPU`),
    chart(cpuPts, { width: 480, height: 120, top: cpuTopValue, axis: true, label: `CPU of ${name}, last ${WINDOW_MINUTES} minutes` }));
  const memFig = html('figure', 'usage-chart');
  const memTopValue = memTop(memPts);
  memFig.append(html('figcaption', '', `Memory ${memNow === null ? '…' : fmtMib(memNow)}${memoryLimitText(q)} · scale ${fmtMib(memTopValue)}`),
    chart(memPts, { width: 480, height: 120, top: memTopValue, limit: q.memory_mib, axis: true,
      label: `Memory of ${name}, last ${WINDOW_MINUTES} minutes, against its memory setting` }));
  box.append(cpuFig, memFig, html('p', 'hint', `Last ${WINDOW_MINUTES} minutes, a line every 2 minutes; memory is scaled to its use; a dashed line marks the memory setting when the scale reaches it.`));
  element.replaceChildren(box);
}

export function drawUsage(element, name) {
  let off = null, shown = false;
  // an element not yet in the document is drawn all the same; once it has been shown and leaves, the updates stop
  const redraw = () => {
    if (element.isConnected) shown = true;
    else if (shown) { off(); return; }
    drawLarge(element, name);
  };
  off = onHistory(redraw);
  startHistory();
  redraw();
  return () => off();
}
