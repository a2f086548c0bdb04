// json_tree.js — a JSON value as a collapsible tree (<details> per object
// and array), every key and value as text through dom.js.
import { h } from './dom.js';

// Entries shown per object or array; the rest are counted, not drawn, so a
// huge payload cannot stall the page.
const MAX_ENTRIES = 300;

function scalar(value) {
  if (value === null) return h('span', { class: 'j-null' }, 'null');
  switch (typeof value) {
    case 'string': return h('span', { class: 'j-str' }, JSON.stringify(value));
    case 'number': return h('span', { class: 'j-num' }, String(value));
    case 'boolean': return h('span', { class: 'j-bool' }, String(value));
    default: return h('span', {}, String(value));
  }
}

function summary(value) {
  if (Array.isArray(value)) return '[' + value.length + (value.length === 1 ? ' item]' : ' items]');
  const n = Object.keys(value).length;
  return '{' + n + (n === 1 ? ' key}' : ' keys}');
}

function node(value, depth, openDepth) {
  if (value === null || typeof value !== 'object') return scalar(value);
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  if (entries.length === 0) return h('span', { class: 'j-empty' }, Array.isArray(value) ? '[]' : '{}');
  const items = entries.slice(0, MAX_ENTRIES).map(([key, child]) =>
    h('li', {}, h('span', { class: Array.isArray(value) ? 'j-index' : 'j-key' }, key), ': ', node(child, depth + 1, openDepth)));
  if (entries.length > MAX_ENTRIES) items.push(h('li', { class: 'muted' }, '… ' + (entries.length - MAX_ENTRIES) + ' more'));
  return h('details', { class: 'j-tree', open: depth < openDepth },
    h('summary', {}, summary(value)),
    h('ul', {}, items));
}

// The tree for `value`, its first `openDepth` levels open.
export function jsonTree(value, openDepth = 1) {
  return h('div', { class: 'json' }, node(value, 0, openDepth));
}
