// Pages that refresh themselves: the Metrics screen, boards, shared boards and TV.
//
// The page names what to poll (`data-live` on its root) and what each card or block shows
// (`data-metrics`, comma-separated metric ids). Every few seconds, while the tab is visible,
// the script reads each metric's data version and sync state; a card whose metrics are syncing
// gets a "Syncing…" badge, and when a metric's version or last sync moves, the page is fetched
// again and only the parts of the changed cards that show numbers are swapped in, so an open
// editor or a sorted table elsewhere is left alone. On a TV a clock in the corner shows the
// time in the board's zone.

const POLL_MS = 4000;
// What a card or block shows from the store; its forms and editors are never replaced.
const PARTS = ['.block-head', '.caption', '.block-body', '.metric-main', '.metric-value',
  '.metric-spark', '.metric-sync'];

const root = document.querySelector('[data-live]');
if (root) watch(root);
const clock = document.getElementById('tv-clock');
if (clock) tick(clock);

function ids(el) {
  return el.dataset.metrics ? el.dataset.metrics.split(',').filter((id) => id !== '') : [];
}

function keyOf(m) {
  return `${m.data_version}:${m.last_sync_ms ?? ''}`;
}

function watch(root) {
  const url = root.dataset.live;
  let seen = null;
  let busy = false;

  async function poll() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const answer = await fetch(url, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store',
      });
      if (!answer.ok) return;
      const now = new Map((await answer.json()).metrics.map((m) => [String(m.id), m]));
      if (seen) {
        const changed = new Set();
        for (const [id, m] of now) {
          if (seen.has(id) && seen.get(id) !== keyOf(m)) changed.add(id);
        }
        // Keep the old versions when the page could not be fetched: the next poll retries.
        if (changed.size && !(await refresh(root, changed))) return;
      }
      seen = new Map([...now].map(([id, m]) => [id, keyOf(m)]));
      mark(root, now);
      root.dataset.liveReady = 'true';
    } catch (_) {
      // Offline or restarting: the next poll tries again.
    } finally {
      busy = false;
    }
  }

  poll();
  setInterval(poll, POLL_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) poll();
  });
}

// Re-fetches this page and swaps the changed cards' parts; false when the page did not come.
async function refresh(root, changed) {
  const targets = [...root.querySelectorAll('[data-metrics]')]
    .filter((el) => ids(el).some((id) => changed.has(id)));
  if (!targets.length) return true;
  const answer = await fetch(location.href, { credentials: 'same-origin', cache: 'no-store' });
  if (!answer.ok) return false;
  const doc = new DOMParser().parseFromString(await answer.text(), 'text/html');
  for (const el of targets) {
    const fresh = el.id && doc.getElementById(el.id);
    if (fresh) swap(el, fresh);
  }
  return true;
}

function part(el, selector) {
  return [...el.children].find((child) => child.matches(selector));
}

function swap(el, fresh) {
  let last = null;
  for (const selector of PARTS) {
    const old = part(el, selector);
    const next = part(fresh, selector);
    if (next) {
      const node = document.importNode(next, true);
      // The element itself stays, with what other scripts put on it (the editors' drag
      // handle on a block's head); only what it shows is new.
      if (old) old.replaceChildren(...node.childNodes);
      else if (last) last.after(node);
      else el.prepend(node);
      last = old ?? node;
    } else if (old) {
      old.remove();
    }
  }
  for (const name of ['status']) {
    if (fresh.dataset[name] === undefined) delete el.dataset[name];
    else el.dataset[name] = fresh.dataset[name];
  }
}

// A "Syncing…" badge on every card or block one of whose metrics is syncing or queued.
function mark(root, now) {
  for (const el of root.querySelectorAll('[data-metrics]')) {
    const states = ids(el).map((id) => now.get(id)?.state);
    const state = states.includes('syncing') ? 'syncing'
      : states.includes('queued') ? 'queued' : null;
    const host = part(el, '.block-head') ?? el.querySelector('.metric-sync') ?? el;
    let badge = host.querySelector('.live-sync');
    if (!state) {
      badge?.remove();
      delete el.dataset.sync;
      continue;
    }
    el.dataset.sync = state;
    if (!badge) {
      badge = document.createElement('span');
      badge.className = 'badge syncing live-sync';
      badge.setAttribute('role', 'status');
      host.append(badge);
    }
    badge.textContent = state === 'syncing' ? 'Syncing…' : 'Sync queued…';
  }
}

function tick(clock) {
  let format;
  try {
    format = new Intl.DateTimeFormat(undefined, {
      hour: '2-digit', minute: '2-digit', timeZone: clock.dataset.zone || undefined,
    });
  } catch (_) {
    format = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  }
  const show = () => { clock.textContent = format.format(new Date()); };
  show();
  setInterval(show, 1000);
}
