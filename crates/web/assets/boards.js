// Board arrangement by dragging: pick a block up by its header and drop it on a grid cell.
// The move/resize buttons do the same without JavaScript; this only saves the new place
// through the same form endpoint (`/boards/{id}/arrange`) and reloads.

const grid = document.getElementById('board-grid');
const page = document.querySelector('.board-page');
const csrf = document.querySelector('input[name=csrf]');

function cellAt(event) {
  const box = grid.getBoundingClientRect();
  const style = getComputedStyle(grid);
  const columns = style.gridTemplateColumns.split(' ').length;
  const gap = parseFloat(style.columnGap) || 0;
  const colWidth = (box.width - gap * (columns - 1)) / columns;
  const rowHeight = parseFloat(style.gridAutoRows) || 110;
  const x = Math.floor((event.clientX - box.left) / (colWidth + gap));
  const y = Math.floor((event.clientY - box.top) / (rowHeight + gap));
  return { x: Math.max(0, x), y: Math.max(0, y), columns };
}

function save(block, x, y) {
  const w = Number(block.dataset.w);
  const h = Number(block.dataset.h);
  const body = new URLSearchParams({
    csrf: csrf.value,
    layout: `${block.dataset.block}:${x},${y},${w},${h}`,
  });
  return fetch(`/boards/${page.dataset.board}/arrange`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }).then(() => location.reload());
}

if (grid && page && csrf && page.dataset.editable === 'true') {
  for (const block of grid.querySelectorAll('section.block')) {
    const handle = block.querySelector('.block-head');
    handle.setAttribute('draggable', 'true');
    handle.classList.add('drag-handle');
    handle.addEventListener('dragstart', (e) => {
      e.dataTransfer.setData('text/plain', block.dataset.block);
      block.classList.add('dragging');
    });
    handle.addEventListener('dragend', () => block.classList.remove('dragging'));
  }
  grid.addEventListener('dragover', (e) => e.preventDefault());
  grid.addEventListener('drop', (e) => {
    e.preventDefault();
    const id = e.dataTransfer.getData('text/plain');
    const block = grid.querySelector(`section.block[data-block="${CSS.escape(id)}"]`);
    if (!block) return;
    const { x, y, columns } = cellAt(e);
    const w = Number(block.dataset.w);
    save(block, Math.min(x, columns - w), y);
  });
}
