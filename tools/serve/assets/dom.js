// dom.js — the one place the page turns data into DOM.
//
// Everything the journal holds (prompts, payloads, errors, run ids) is
// untrusted text. It reaches the page only through h() and replace()
// below, which put strings into Text nodes (never markup: no DOM call that
// parses HTML appears anywhere in these files; serve_test checks), set
// only the attributes listed here, attach handlers only as functions, and
// accept only same-origin paths as links. (The runs page's first screen
// comes drawn by the server, tools/serve/runs_page_html.cpp, which writes
// the same elements with journal text escaped as text; the browser test
// checks the two drawings are the same.) The server's
// Content-Security-Policy forbids inline script besides, so even markup
// that slipped through could not run.

const ATTRIBUTES = new Set([
  'id', 'title', 'type', 'name', 'value', 'placeholder', 'for', 'colspan', 'role', 'tabindex', 'rows',
  'spellcheck', 'autocomplete', 'method', 'action', 'download', 'open', 'selected', 'checked', 'disabled',
  'aria-expanded', 'aria-label', 'aria-controls', 'aria-live', 'datetime', 'hidden', 'size', 'cols',
]);

// A link target: a path on this server ("/runs/…"), nothing else.
export function href(path) {
  const text = String(path);
  if (!text.startsWith('/') || text.startsWith('//') || text.startsWith('/\\')) {
    throw new Error('not a same-origin path: ' + text);
  }
  return text;
}

// Recursive rather than children.flat(Infinity), and Object.keys rather
// than Object.entries in h(): the runs page builds some 600 elements before
// its first frame, in a script the engine has not compiled yet, and the
// arrays these made were a third of that time.
function appendAll(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) appendAll(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// h('a', {href: '/runs/' + encodeURIComponent(id), class: 'run'}, id)
// Children: Nodes, or anything else as text. Attributes: class, style (an
// object of CSS properties, set through the CSSOM), data-* and the names
// above; on* take functions. Anything else throws.
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const name of attributes ? Object.keys(attributes) : []) {
    const value = attributes[name];
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new Error('handler is not a function: ' + name);
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = String(value);
    } else if (name === 'style') {
      for (const [property, css] of Object.entries(value)) element.style.setProperty(property, String(css));
    } else if (name === 'href' || name === 'action') {
      element.setAttribute(name, href(value));
    } else if (name.startsWith('data-') || ATTRIBUTES.has(name)) {
      element.setAttribute(name, value === true ? '' : String(value));
    } else {
      throw new Error('attribute not allowed: ' + name);
    }
  }
  appendAll(element, children);
  return element;
}

// Replaces the children of `element`, by the same rules as h().
export function replace(element, ...children) {
  element.replaceChildren();
  appendAll(element, children);
  return element;
}

// Sets the text of `element`: the same as replace(element, text).
export function setText(element, text) {
  element.textContent = String(text);
}
