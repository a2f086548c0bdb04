// api.js — the page's only way to the server: JSON from /api, and the
// event stream. Errors come back as ApiError with the server's code.
import { setText } from './dom.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function getJSON(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'offline', 'the server cannot be reached (' + e.message + ')');
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error ? body.error : {};
    throw new ApiError(response.status, error.code || 'http_' + response.status, error.message || response.statusText);
  }
  return body;
}

// The JSON the server put in the page for it (a <script type="application/json">
// data block, never run; page_routes.cpp), taken once: null when there is
// none or it was taken already.
export function pageData(id) {
  const element = document.getElementById(id);
  if (!element) return null;
  element.remove();
  try {
    return JSON.parse(element.textContent);
  } catch (e) {
    return null;
  }
}

// Builds "/api/…?a=1&b=2" from an object, leaving out empty values.
export function apiURL(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? path + '?' + text : path;
}

// The live indicator in the header (#live) shows the state of the streams.
const live = { open: 0, element: null };

function showLive() {
  if (!live.element) live.element = document.getElementById('live');
  if (!live.element) return;
  setText(live.element, live.open > 0 ? 'live' : 'offline');
  live.element.className = live.open > 0 ? 'live on' : 'live';
}

// Follows /api/stream with `params` (after, run, payloads) and calls
// onEvent(event) for each event, in position order. EventSource
// reconnects by itself and sends Last-Event-ID, so nothing is missed or
// repeated across a reconnect. Returns the EventSource.
export function follow(params, onEvent) {
  const source = new EventSource(apiURL('/api/stream', params));
  let counted = false;
  source.onopen = () => {
    if (!counted) live.open += 1;
    counted = true;
    showLive();
  };
  source.onerror = () => {
    if (counted) live.open -= 1;
    counted = false;
    showLive();
  };
  source.addEventListener('event', (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    onEvent(event);
  });
  return source;
}

// Calls fn at most once per `ms`, after the last call of a burst.
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
}
