// The console's pages. Each takes the view element (and the argument after the page's name in
// the hash), draws into it with el() (text only) and returns a handle whose stop() ends its polling.
import { el, api, command, every, sessionLink, ago, time } from './app.js';

/* global mermaid */
// labels as SVG text, measured as drawn (HTML labels rely on inline styles, which the CSP refuses)
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', htmlLabels: false,
  flowchart: { htmlLabels: false }, state: { htmlLabels: false } });
let diagrams = 0;

/**
 * Draws a Mermaid definition into `box`. The SVG Mermaid makes from the protocol's definition (the
 * operator's protocol files, with labels escaped by Mermaid's strict mode) is imported as a parsed
 * document; its style sheet is adopted through the CSSOM, as the CSP allows no inline <style>.
 */
async function draw(box, definition) {
  const { svg } = await mermaid.render('diagram-' + ++diagrams, definition);
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const sheet = new CSSStyleSheet();
  for (const s of doc.querySelectorAll('style')) {
    sheet.replaceSync(s.textContent);
    s.remove();
  }
  // this diagram's previous sheet goes, its new one comes
  document.adoptedStyleSheets = [...document.adoptedStyleSheets.filter((x) => x !== box.adoptedSheet), sheet];
  box.adoptedSheet = sheet;
  box.replaceChildren(document.importNode(doc.documentElement, true));
}

function split(key) {
  return key.split('|');
}

function table(head, rows, attrs = {}) {
  return el('table', attrs,
    head ? el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))) : null,
    el('tbody', {}, rows));
}

/** Per window (1, 5, 15 min): the counters' growth, as a table of rows picked by `pick`. */
function ratesTable(stats, pick, label, skip = 1) {
  const keys = new Set();
  for (const w of stats.windows) for (const k of Object.keys(w.deltas)) if (pick(k)) keys.add(k);
  if (keys.size === 0) return el('p', { class: 'muted' }, 'none in the last 15 minutes');
  return table([label, ...stats.windows.map((w) => 'last ' + w.minutes + ' min')],
    [...keys].sort().map((k) => el('tr', {}, el('td', {}, split(k).slice(skip).filter((x) => x).join(' ')),
      stats.windows.map((w) => el('td', { class: 'num' }, w.deltas[k] || 0)))));
}

/**
 * The counts of every instance summed (GET /stats?scope=cluster); while some instance does not
 * answer (a rebalance), this instance's alone. Resolves {status, body, scope}: scope says which.
 */
async function stats() {
  const cluster = await api('/stats?scope=cluster');
  if (cluster.status === 200) return { ...cluster, scope: 'all ' + cluster.body.instances + ' instance(s)' };
  const local = await api('/stats');
  return { ...local, scope: 'this instance only (not every instance answered)' };
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children (nodes, or text), like el(). */
function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/**
 * The deadlines fired in each minute of the last hour as bars (SVG made element by element: no
 * markup, no inline style); a storm minute (at least stormFires fires on one instance) is marked.
 */
function stormChart(fires) {
  const minutes = fires.minutes;
  const w = 10;
  const h = 120;
  const max = Math.max(1, fires.stormFires, ...minutes.map((m) => m.fired));
  const y = (n) => h - Math.round((h * n) / max);
  const bars = minutes.map((m, i) => svg('rect', {
    class: 'minute' + (m.storm ? ' storm' : ''), x: i * w + 1, y: y(m.fired), width: w - 2, height: h - y(m.fired),
    'data-start': m.start, 'data-fired': m.fired,
  }, svg('title', {}, time(m.start) + ': ' + m.fired + ' fired, latest ' + (m.maxLatenessMs / 1000) + ' s late')));
  const threshold = svg('line', { class: 'threshold', x1: 0, x2: minutes.length * w, y1: y(fires.stormFires), y2: y(fires.stormFires) });
  return svg('svg', { class: 'storm-chart', viewBox: '0 0 ' + minutes.length * w + ' ' + (h + 14), width: minutes.length * w, height: h + 14 },
    bars, threshold,
    svg('text', { x: 0, y: h + 12 }, '60 min ago'), svg('text', { x: minutes.length * w, y: h + 12, 'text-anchor': 'end' }, 'now'));
}

function protocolsPage(view) {
  view.append(el('h2', {}, 'Protocols'));
  const totals = el('section', { class: 'card' });
  const list = el('div');
  view.append(totals, list);
  const cards = new Map(); // protocol id -> {counts, rates, box, definition, drawn}
  let loaded = false;

  async function load() {
    const { status, body } = await api('/protocols');
    if (status !== 200) return;
    for (const summary of body) {
      const r = await api('/protocols/' + encodeURIComponent(summary.name));
      if (r.status !== 200) continue;
      for (const p of r.body.versions) {
        const id = p.name + ' v' + p.version;
        const box = el('div', { class: 'diagram' });
        const counts = el('tbody');
        const rates = el('div');
        list.append(el('section', { class: 'card protocol', 'data-protocol': p.name, 'data-version': p.version },
          el('h3', {}, id), el('p', { class: 'muted' }, p.description || ''),
          el('div', { class: 'cols' }, box,
            el('div', {},
              el('h4', {}, 'Active sessions by state (all versions of ' + p.name + ')'),
              el('table', { class: 'counts' }, el('thead', {}, el('tr', {}, el('th', {}, 'state'), el('th', { class: 'num' }, 'sessions'))), counts),
              el('h4', {}, 'Transitions by state entered'), rates))));
        cards.set(id, { p, box, counts, rates, drawn: null });
      }
    }
    loaded = true;
  }

  return every(2000, async () => {
    if (!loaded) await load();
    const { status, body: counts, scope } = await stats();
    if (status !== 200) return;
    totals.replaceChildren(
      el('h3', {}, 'Rejections by reason'), ratesTable(counts, (k) => k.startsWith('events|REJECTED|'), 'reason'),
      el('h3', {}, 'Backouts by protocol and reason'), ratesTable(counts, (k) => k.startsWith('backouts|'), 'protocol, reason'),
      el('p', { class: 'muted', id: 'stats-scope' }, 'Counts of ' + scope + ', each sampled every 10 s.'));
    for (const c of cards.values()) {
      const active = new Map(counts.active.filter((a) => a.protocol === c.p.name).map((a) => [a.state, a.count]));
      c.counts.replaceChildren(...c.p.states.map((s) =>
        el('tr', {}, el('td', {}, s), el('td', { class: 'num count', 'data-state': s }, active.get(s) || 0))));
      c.rates.replaceChildren(ratesTable(counts, (k) => k.startsWith('transitions|' + c.p.name + '|'), 'state', 2));
      // the counts drawn on the diagram: each state that holds sessions is labelled with its count
      const definition = c.p.mermaid + [...active].filter(([, n]) => n > 0)
        .map(([s, n]) => '    ' + s + ' : ' + s + ' (' + n + ' active)\n').join('');
      if (definition !== c.drawn) {
        c.drawn = definition;
        await draw(c.box, definition);
      }
    }
  });
}

function sessionPage(view, id) {
  const head = el('h2', {}, 'Session ', el('span', { class: 'value' }, id));
  const body = el('div');
  view.append(head, body, actionsCard(id));
  return every(1000, async () => {
    const { status, body: s } = await api('/sessions/' + encodeURIComponent(id));
    const now = Date.now();
    const parts = [];
    if (status === 200) {
      const dl = s.deadlines || {};
      parts.push(el('section', { class: 'card' },
        table(null, [
          el('tr', {}, el('th', {}, 'state'), el('td', { id: 'session-state', class: 'value' }, s.state)),
          el('tr', {}, el('th', {}, 'status'), el('td', { id: 'session-status' }, s.status)),
          el('tr', {}, el('th', {}, 'protocol'), el('td', {}, s.protocol + ' v' + s.protocolVersion)),
          el('tr', {}, el('th', {}, 'in this state'), el('td', {}, 'since ' + time(s.enteredAt) + ' (' + ago(now - s.enteredAt) + ')')),
          el('tr', {}, el('th', {}, 'created'), el('td', {}, time(s.createdAt))),
          el('tr', {}, el('th', {}, 'seq'), el('td', {}, s.seq)),
        ]),
        el('h3', {}, 'Pending deadlines'),
        table(['deadline', 'due', 'in'], Object.entries(dl).filter(([, v]) => v !== null).map(([k, v]) =>
          el('tr', {}, el('td', {}, k), el('td', {}, time(v)), el('td', { class: 'countdown' + (v < now ? ' bad' : '') }, ago(now - v))))),
        el('h3', {}, 'Data'),
        table(['field', 'value'], Object.entries(s.data || {}).map(([k, v]) =>
          el('tr', {}, el('td', { class: 'value' }, k), el('td', { class: 'value data-value' }, JSON.stringify(v))))),
        el('h3', {}, 'Timeline'),
        el('ol', { class: 'timeline' }, (s.timeline || []).map((h, i, all) =>
          el('li', { class: 'step' + (i === all.length - 1 ? ' current' : '') },
            el('span', { class: 'step-state' }, h.state), ' ',
            // entries kept before causes were (session format 3 and older) have none
            h.trigger === null ? el('span', { class: 'muted' }, '(cause not recorded)') : [
              el('span', { class: 'trigger' }, h.trigger), ' ',
              el('span', { class: 'value step-event' }, [h.eventType, h.eventId].filter((x) => x !== null).join(' ') || '(no event: its deadline)'), ' ',
              el('span', { class: 'muted step-at' }, time(h.at))]))),
        el('p', { class: 'muted' }, 'A session keeps its last moves, up to statewarden.history.limit (64 by default); the transitions topic has every one.')));
    } else if (status === 404) {
      parts.push(el('p', { class: 'bad' }, s.error || 'no such session'));
    } else {
      parts.push(el('p', { class: 'bad' }, s.error || 'HTTP ' + status));
    }
    const rejections = s.rejections || [];
    parts.push(el('section', { class: 'card' }, el('h3', {}, 'Rejected events (the last ' + rejections.length + ' kept)'),
      rejections.length === 0 ? el('p', { class: 'muted' }, 'none') :
        table(['at', 'event', 'reason', 'in state', 'detail'], rejections.slice().reverse().map((r) =>
          el('tr', {}, el('td', {}, time(r.at)), el('td', { class: 'value' }, (r.eventType || '') + ' ' + (r.eventId || '')),
            el('td', { class: 'bad' }, r.reason), el('td', {}, r.stateBefore || ''), el('td', { class: 'value' }, r.detail || ''))))));
    body.replaceChildren(...parts);
  });
}

/**
 * Operator actions (docs/operations.md): cancel, retry, move, each with the reason it is audited
 * with and the operator token (a read token is refused 403 and nothing is written). The command
 * goes into the events log; the page above shows its effect once it is applied.
 */
function actionsCard(id) {
  const action = el('select', { name: 'action' }, ['cancel', 'retry', 'move'].map((a) => el('option', { value: a }, a)));
  const to = el('input', { name: 'to', placeholder: 'target state (move)', size: 16 });
  const reason = el('input', { name: 'reason', placeholder: 'reason (audited)', size: 30 });
  const token = el('input', { name: 'operator-token', type: 'password', placeholder: 'operator token', size: 20, autocomplete: 'off' });
  const result = el('p', { id: 'action-result' });
  const form = el('form', { id: 'actions' }, action, ' ', to, ' ', reason, ' ', token, ' ', el('button', { type: 'submit' }, 'Send'));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const payload = { reason: reason.value.trim() };
    if (action.value === 'move') payload.to = to.value.trim();
    const { status, body } = await command('/sessions/' + encodeURIComponent(id) + '/' + action.value, token.value.trim(), payload);
    result.className = status === 202 ? '' : 'bad';
    result.textContent = status === 202
      ? action.value + ' accepted: command ' + body.commandId + ' is in the log'
      : 'refused (HTTP ' + status + '): ' + (body.error || '');
  };
  return el('section', { class: 'card' }, el('h3', {}, 'Operator actions'), form, result);
}

function sessionsPage(view) {
  const protocol = el('select', { name: 'protocol' }, el('option', { value: '' }, 'any protocol'));
  const state = el('input', { name: 'state', placeholder: 'any state', size: 12 });
  const age = el('select', { name: 'age' }, [['0', 'any time'], ['60000', '1 min'], ['600000', '10 min'], ['3600000', '1 hour'], ['86400000', '1 day']]
    .map(([v, t]) => el('option', { value: v }, t === 'any time' ? t : 'in state for ≥ ' + t)));
  const open = el('input', { placeholder: 'session id', size: 24 });
  const go = el('button', { type: 'submit' }, 'Open');
  const openForm = el('form', {}, open, go);
  openForm.onsubmit = (ev) => { ev.preventDefault(); if (open.value) location.hash = '#/session/' + encodeURIComponent(open.value); };
  const counts = el('div');
  const rows = el('div');
  view.append(el('h2', {}, 'Sessions'), el('section', { class: 'card' }, openForm),
    el('section', { class: 'card' }, el('h3', {}, 'Active sessions by state'), counts),
    el('section', { class: 'card' }, el('h3', {}, 'Longest in their state first'), el('div', {}, protocol, ' ', state, ' ', age), rows));
  api('/protocols').then(({ status, body }) => {
    if (status === 200) for (const p of body) protocol.append(el('option', { value: p.name }, p.name));
  });
  const handle = every(5000, async () => {
    const q = new URLSearchParams({ limit: '50', active: 'true' });
    if (protocol.value) q.set('protocol', protocol.value);
    if (state.value.trim()) q.set('state', state.value.trim());
    if (age.value !== '0') q.set('olderThan', Math.round(Number(age.value) / 1000) + 's');
    const [st, list] = [await stats(), await api('/sessions?' + q)];
    if (st.status === 200) {
      counts.replaceChildren(table(['protocol', 'state', 'sessions'], st.body.active.filter((a) => a.count > 0)
        .sort((a, b) => b.count - a.count)
        .map((a) => el('tr', {}, el('td', {}, a.protocol), el('td', {}, a.state), el('td', { class: 'num' }, a.count)))));
    }
    if (list.status === 200) {
      const now = Date.now();
      const l = list.body;
      rows.replaceChildren(
        table(['session', 'protocol', 'state', 'in state for'], l.sessions.map((s) =>
          el('tr', { class: 'session-row' }, el('td', { class: 'value' }, sessionLink(s.sessionId)), el('td', {}, s.protocol + ' v' + s.protocolVersion),
            el('td', {}, s.state), el('td', {}, ago(now - s.enteredAt).replace(' ago', ''))))),
        el('p', { class: 'muted' }, 'All instances, from their session list index' +
          (l.next === null ? '.' : '; the 50 longest in their state are shown (sessions list --all lists every one).')));
    }
  });
  for (const f of [protocol, state, age]) f.onchange = () => { handle.stop(); view.replaceChildren(); current = sessionsPage(view); };
  let current = handle;
  return { stop: () => current.stop() };
}

function deadlinesPage(view) {
  const windows = el('div');
  const next = el('div');
  const lateness = el('div');
  const storms = el('div');
  view.append(el('h2', {}, 'Deadlines'),
    el('section', { class: 'card' }, el('h3', {}, 'Pending, by when they are due (this instance)'), windows, next),
    el('section', { class: 'card', id: 'storms' }, el('h3', {}, 'Timer storms of the last hour'), storms),
    el('section', { class: 'card' }, el('h3', {}, 'Lateness of fired deadlines'), lateness));
  return every(5000, async () => {
    const now = Date.now();
    const [list, st] = [await api('/deadlines?limit=20'), await stats()];
    if (list.status === 200) {
      const d = list.body.due;
      windows.replaceChildren(table(['overdue', 'next minute', 'next hour', 'next day', 'later'],
        [el('tr', { class: 'due' }, ['overdue', 'minute', 'hour', 'day', 'later'].map((k) => el('td', { class: 'num' }, d[k])))]));
      next.replaceChildren(el('h4', {}, 'Next due'), table(['session', 'state', 'due'], list.body.nextDue.map((s) =>
        el('tr', {}, el('td', { class: 'value' }, sessionLink(s.sessionId)), el('td', {}, s.protocol + ' / ' + s.state),
          el('td', {}, time(s.nextDeadline) + ' (' + ago(now - s.nextDeadline) + ')')))));
    }
    if (st.status === 200) {
      const f = st.body.fires;
      const stormy = f.minutes.filter((m) => m.storm);
      storms.replaceChildren(
        el('p', { class: 'muted' }, 'Deadlines fired per minute, ' + st.scope + '. A minute is a storm (red) when one instance fired at least ' +
          f.stormFires + ' deadlines in it (its statewarden.punctuation.max.fires: as many as one punctuation fires before it yields); the line marks that number.'),
        stormChart(f),
        stormy.length === 0 ? el('p', { class: 'storm-none' }, 'No storm in the last hour.') :
          table(['storm minute', 'fired', 'latest fired late by'], stormy.slice().reverse().map((m) =>
            el('tr', { class: 'storm-row' }, el('td', {}, time(m.start)), el('td', { class: 'num' }, m.fired), el('td', { class: 'num' }, (m.maxLatenessMs / 1000) + ' s')))));
      const b = st.body.lateness;
      const max = Math.max(1, ...b.map((x) => x.count));
      lateness.replaceChildren(
        el('p', {}, st.body.pendingDeadlines + ' due times pending in the deadline indexes of ' + st.scope + '.'),
        table(['late by at most', 'fired', ''], b.map((x) => {
          const bar = el('span', { class: 'bar' });
          bar.style.width = Math.round((200 * x.count) / max) + 'px';
          return el('tr', {}, el('td', {}, x.le === '+Inf' ? 'more' : x.le + ' s'), el('td', { class: 'num' }, x.count), el('td', {}, bar));
        })));
    }
  });
}

function deadLettersPage(view) {
  const list = el('div');
  view.append(el('h2', {}, 'Dead letters'), el('p', { class: 'muted' }, 'The last 20 records of the dead-letter topic, newest first.'), list);
  return every(10000, async () => {
    const { status, body } = await api('/dead-letters?limit=20');
    if (status !== 200) return;
    list.replaceChildren(...(body.records.length === 0 ? [el('p', { class: 'muted' }, 'none')] : body.records.map((r) =>
      el('section', { class: 'card dead-letter' },
        el('h4', {}, time(r.timestamp) + ' · partition ' + r.partition + ' · offset ' + r.offset),
        table(['header', 'value'], Object.entries(r.headers).map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', { class: 'value' }, v)))),
        el('p', {}, 'key: ', el('span', { class: 'value' }, r.key === null ? '(none)' : r.key)),
        el('pre', { class: 'value' }, r.value === null ? '(none)' : r.value)))));
  });
}

export const pages = {
  protocols: protocolsPage,
  session: sessionPage,
  sessions: sessionsPage,
  deadlines: deadlinesPage,
  'dead-letters': deadLettersPage,
};
