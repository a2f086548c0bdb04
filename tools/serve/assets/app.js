// app.js — the page's entry: which page the URL names, and drawing it.
//
// Every page is a plain URL (/runs?status=failed, /runs/RUN, /recovery,
// /sql?q=…, /stats) that can be shared and reloaded: navigation is the
// browser's own, and each page fetches its JSON twin (/api + its path).
import { h, replace } from './dom.js';
import { runsPage } from './runs_page.js';
import { runPage } from './run_page.js';
import { recoveryPage, sqlPage, statsPage } from './other_pages.js';

function route(path) {
  if (path === '/' || path === '/runs') return { name: 'runs' };
  if (path.startsWith('/runs/')) return { name: 'run', id: decodeURIComponent(path.slice('/runs/'.length)) };
  if (path === '/recovery' || path === '/sql' || path === '/stats') return { name: path.slice(1) };
  return { name: 'unknown' };
}

async function main() {
  const url = new URL(window.location.href);
  // A token in the URL has been swapped for a cookie by now; keep it out
  // of the address bar, the history and any link copied from it.
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  const page = route(url.pathname);
  const nav = document.getElementById('nav-' + (page.name === 'run' ? 'runs' : page.name));
  if (nav) nav.classList.add('current');
  const main = document.getElementById('main');
  try {
    if (page.name === 'runs') {
      document.title = 'runs · runjournal';
      await runsPage(main, url.searchParams);
    } else if (page.name === 'run') {
      await runPage(main, page.id);
    } else if (page.name === 'recovery') {
      document.title = 'recovery · runjournal';
      await recoveryPage(main, url.searchParams);
    } else if (page.name === 'sql') {
      document.title = 'SQL · runjournal';
      await sqlPage(main, url.searchParams);
    } else if (page.name === 'stats') {
      document.title = 'stats · runjournal';
      await statsPage(main);
    } else {
      replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, url.pathname)));
    }
  } catch (e) {
    replace(main, h('h1', {}, e.status === 404 ? 'Not found' : 'Error'),
      h('p', { class: 'error-text' }, (e.code ? e.code + ': ' : '') + e.message),
      h('p', {}, h('a', { href: '/runs' }, 'all runs')));
  }
  document.body.setAttribute('data-ready', '1');
}

main();
