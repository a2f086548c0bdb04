// format.js — how times, durations and statuses are shown.
import { h } from './dom.js';

export const STATUSES = ['created', 'planning', 'executing', 'verifying', 'interrupted', 'completed', 'failed', 'cancelled'];
export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

// "2025-01-31 12:00:00.250" in UTC, as the journal's views show times.
export function time(ms) {
  if (ms === null || ms === undefined) return '';
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, 23);
}

// "850 ms", "12.4 s", "3 m 05 s", "2 h 10 m", "3 d 4 h".
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 0) ms = 0;
  if (ms < 1000) return Math.round(ms) + ' ms';
  const s = ms / 1000;
  if (s < 60) return (s < 10 ? s.toFixed(2) : s.toFixed(1)) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' m ' + String(Math.floor(s % 60)).padStart(2, '0') + ' s';
  const hours = Math.floor(m / 60);
  if (hours < 48) return hours + ' h ' + String(m % 60).padStart(2, '0') + ' m';
  return Math.floor(hours / 24) + ' d ' + (hours % 24) + ' h';
}

// "+1.25 s": an offset from the run's start.
export function offset(ms) {
  return '+' + duration(ms);
}

// A run's duration: finished minus created, or up to now while it is live.
export function runDuration(run, now) {
  const end = run.finished_at_ms !== null && run.finished_at_ms !== undefined ? run.finished_at_ms : now;
  return end - run.created_at_ms;
}

export function statusBadge(status, reason) {
  return h('span', { class: 'status status-' + (STATUSES.includes(status) ? status : 'unknown'), title: reason || null },
    status);
}

// The first `max` characters of `text`, with an ellipsis when cut.
export function clip(text, max) {
  const s = String(text === null || text === undefined ? '' : text);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
