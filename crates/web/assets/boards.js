// The board designer (a board's edit mode, for Editors). A block is dragged by its title bar
// and resized by its corner with Pointer Events (mouse, pen and touch alike), or moved with the
// arrow keys when focused (Shift + arrows resizes). The script only proposes a place: the
// server applies the grid's rule (blocks in the way move down) and answers every block's
// place, which is what gets drawn. The metric picker's filter box lives here too.

const page = document.querySelector('.board-page');
const grid = document.getElementById('board-grid');
const csrf = document.querySelector('input[name=csrf]');
const status = document.getElementById('designer-status');
const COLUMNS = 12;
const MAX_ROWS = 8;

// ---------------------------------------------------------------- metric filter

for (const filter of document.querySelectorAll('.metric-filter')) {
  const picker = filter.closest('.metric-picker');
  filter.addEventListener('input', () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const option of picker.querySelectorAll('.metric-option')) {
      const name = option.dataset.name || '';
      const match = words.every((w) => name.includes(w));
      option.hidden = !match;
      if (match) shown += 1;
    }
    picker.querySelector('.no-match').hidden = shown > 0;
  });
  // Enter in the filter narrows the list; it must not submit the block form half filled.
  filter.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') e.preventDefault();
  });
}

// ---------------------------------------------------------------- the grid

function say(text) {
  if (status) status.textContent = text;
}

function placeOf(block) {
  const d = block.dataset;
  return { x: Number(d.x), y: Number(d.y), w: Number(d.w), h: Number(d.h) };
}

// Draws a block at a place: the placement classes the generated stylesheet defines.
function draw(block, p) {
  for (const c of [...block.classList]) {
    if (/^g[xywh]\d+$/.test(c)) block.classList.remove(c);
  }
  block.classList.add(`gx${p.x}`, `gy${p.y}`, `gw${p.w}`, `gh${p.h}`);
  Object.assign(block.dataset, { x: p.x, y: p.y, w: p.w, h: p.h });
}

// The sizes of the grid's tracks in pixels, as laid out now.
function tracks(list, fallback, count) {
  const sizes = list.split(' ').map(parseFloat).filter((v) => !Number.isNaN(v));
  while (sizes.length < count) sizes.push(fallback);
  return sizes;
}

// The grid cell under a point of the screen (clamped to the grid's columns).
function cellAt(clientX, clientY) {
  const box = grid.getBoundingClientRect();
  const style = getComputedStyle(grid);
  const colGap = parseFloat(style.columnGap) || 0;
  const rowGap = parseFloat(style.rowGap) || colGap;
  const cols = tracks(style.gridTemplateColumns, box.width / COLUMNS, 1);
  const rows = tracks(style.gridTemplateRows, 110, 1);
  const find = (sizes, gap, offset) => {
    let at = 0;
    for (let i = 0; i < sizes.length; i += 1) {
      if (offset < at + sizes[i] + gap / 2) return i;
      at += sizes[i] + gap;
    }
    // Below the last track: count on in rows of the last size.
    const last = sizes[sizes.length - 1] || 110;
    return sizes.length + Math.floor((offset - at) / (last + gap));
  };
  return {
    x: Math.min(Math.max(0, find(cols, colGap, clientX - box.left)), cols.length - 1),
    y: Math.max(0, find(rows, rowGap, clientY - box.top)),
    columns: cols.length,
  };
}

// Proposals go one at a time, so each starts from the layout the server answered last.
let queue = Promise.resolve();

function propose(block, p, before) {
  queue = queue.then(() => send(block, p, before));
  return queue;
}

async function send(block, p, before) {
  say('Saving…');
  const body = JSON.stringify({ blocks: [{ id: Number(block.dataset.block), ...p }] });
  try {
    const r = await fetch(`/api/v1/boards/${page.dataset.board}/layout`, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf.value },
      credentials: 'same-origin',
    });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) {
      draw(block, before);
      say((answer.error && answer.error.message) || `Not saved (HTTP ${r.status}).`);
      return;
    }
    for (const b of answer.blocks) {
      const el = grid.querySelector(`section.block[data-block="${b.id}"]`);
      if (el) draw(el, b);
    }
    const undo = document.getElementById('undo-form');
    if (undo && answer.undo) {
      undo.hidden = false;
      undo.querySelector('button').textContent = answer.undo;
    }
    say('Saved.');
  } catch (e) {
    draw(block, before);
    say('Not saved: the server did not answer.');
  }
}

const same = (a, b) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

// One drag, moving (`move`) or resizing (`resize`) a block, from pointerdown to pointerup.
function startDrag(block, mode, e) {
  if (e.button !== 0) return;
  const start = placeOf(block);
  const from = cellAt(e.clientX, e.clientY);
  // Captured, so the drag follows the pointer over other blocks; the listeners sit on the
  // window so that a lost capture (a driver, a browser quirk) still ends the drag.
  const target = window;
  try {
    e.currentTarget.setPointerCapture(e.pointerId);
  } catch (_) {
    // Nothing to do: the window's listeners see the pointer anyway.
  }
  block.classList.add('dragging');
  e.preventDefault();
  let now = start;
  const onMove = (m) => {
    if (m.pointerId !== e.pointerId) return;
    const cell = cellAt(m.clientX, m.clientY);
    if (cell.columns < COLUMNS) return; // the phone layout stacks blocks: no grid to drop on
    if (mode === 'move') {
      now = {
        ...start,
        x: Math.min(Math.max(0, start.x + cell.x - from.x), COLUMNS - start.w),
        y: Math.max(0, start.y + cell.y - from.y),
      };
    } else {
      now = {
        ...start,
        w: Math.min(Math.max(1, cell.x - start.x + 1), COLUMNS - start.x),
        h: Math.min(Math.max(1, cell.y - start.y + 1), MAX_ROWS),
      };
    }
    draw(block, now);
  };
  const onEnd = (u) => {
    if (u.pointerId !== e.pointerId) return;
    target.removeEventListener('pointermove', onMove);
    target.removeEventListener('pointerup', onEnd);
    target.removeEventListener('pointercancel', onEnd);
    block.classList.remove('dragging');
    if (!same(now, start)) propose(block, now, start);
  };
  target.addEventListener('pointermove', onMove);
  target.addEventListener('pointerup', onEnd);
  target.addEventListener('pointercancel', onEnd);
}

function step(block, key, resize) {
  const p = placeOf(block);
  const n = { ...p };
  const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
  if (resize) {
    n.w = Math.min(Math.max(1, p.w + d[0]), COLUMNS - p.x);
    n.h = Math.min(Math.max(1, p.h + d[1]), MAX_ROWS);
  } else {
    n.x = Math.min(Math.max(0, p.x + d[0]), COLUMNS - p.w);
    n.y = Math.max(0, p.y + d[1]);
  }
  if (same(n, p)) return;
  draw(block, n);
  propose(block, n, p);
}

if (grid && page && csrf && page.dataset.editing === 'true') {
  for (const block of grid.querySelectorAll('section.block')) {
    const head = block.querySelector('.block-head');
    head.classList.add('drag-handle');
    head.addEventListener('pointerdown', (e) => startDrag(block, 'move', e));
    const corner = block.querySelector('.resize-handle');
    if (corner) corner.addEventListener('pointerdown', (e) => startDrag(block, 'resize', e));
    block.addEventListener('keydown', (e) => {
      if (e.target !== block) return; // keys in the block's own buttons stay theirs
      if (!['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) return;
      e.preventDefault();
      step(block, e.key, e.shiftKey);
    });
  }
}
