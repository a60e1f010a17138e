// The console's shell: the bearer token, API calls, the hash router and a DOM helper.
// Every value from the API is put in the page as text (el() makes text nodes), never as HTML.
import { pages } from './pages.js';

const TOKEN_KEY = 'statewarden.token';
const view = document.getElementById('view');
const status = document.getElementById('status');
const tokenForm = document.getElementById('token-form');
let waitingForToken = null;

/** An element with attributes (strings, set as attributes) and children (nodes, or text). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** A link to a session's page; the id goes into the hash, encoded. */
export function sessionLink(id) {
  return el('a', { href: '#/session/' + encodeURIComponent(id) }, id);
}

export function ago(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  const t = s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : s < 172800 ? Math.round(s / 3600) + ' h' : Math.round(s / 86400) + ' d';
  return ms < 0 ? 'in ' + t : t + ' ago';
}

export function time(ms) {
  return ms === null || ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

/** GET path as JSON; asks for the token (once) when the API answers 401. Resolves {status, body}. */
export async function api(path) {
  for (;;) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const res = await fetch(path, {
      headers: token ? { Authorization: 'Bearer ' + token } : {},
      cache: 'no-store',
    });
    if (res.status === 401) {
      if (token) sessionStorage.removeItem(TOKEN_KEY);
      await askForToken();
      continue;
    }
    const body = await res.json().catch(() => ({}));
    status.textContent = res.status >= 500 ? (body.error || 'HTTP ' + res.status) : '';
    return { status: res.status, body };
  }
}

/**
 * POSTs an operator command with the operator token given for it (typed into the form, never
 * stored, never in a URL). Resolves {status, body}: 202 when the command is in the log.
 */
export async function command(path, operatorToken, payload) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + operatorToken, 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
    cache: 'no-store',
  });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

function askForToken() {
  if (!waitingForToken) {
    tokenForm.hidden = false;
    document.getElementById('token').focus();
    waitingForToken = new Promise((resolve) => {
      tokenForm.onsubmit = (ev) => {
        ev.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, document.getElementById('token').value.trim());
        document.getElementById('token').value = '';
        tokenForm.hidden = true;
        waitingForToken = null;
        resolve();
      };
    });
  }
  return waitingForToken;
}

// the router: #/protocols, #/sessions, #/session/<id>, #/deadlines, #/dead-letters
let current = null;
async function route() {
  if (current && current.stop) current.stop();
  const [, name, arg] = (location.hash || '#/protocols').match(/^#\/([a-z-]+)\/?(.*)$/) || [];
  const page = pages[name] || pages.protocols;
  for (const a of document.querySelectorAll('header nav a')) {
    a.classList.toggle('current', a.getAttribute('href') === '#/' + name);
  }
  view.replaceChildren();
  current = page(view, arg ? decodeURIComponent(arg) : null) || null;
}

/** Calls refresh now and every `ms` until the page is left; returns the page's handle. */
export function every(ms, refresh) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      await refresh();
    } catch (e) {
      status.textContent = 'cannot reach the instance: ' + e.message;
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return { stop: () => { stopped = true; clearTimeout(timer); } };
}

window.addEventListener('hashchange', route);
route();
