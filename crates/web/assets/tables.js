// Table blocks sort by the column whose header is clicked: numbers by their raw value (the
// cell's data-value, not the formatted text), labels alphabetically, cells without a value
// last. A second click on the same column reverses the order.

function key(row, column) {
  const cell = row.cells[column];
  if (!cell) return { missing: true };
  if (cell.dataset.value !== undefined) {
    if (cell.dataset.value === '') return { missing: true };
    return { number: Number(cell.dataset.value) };
  }
  return { text: cell.textContent.trim() };
}

function compare(a, b) {
  if (a.missing || b.missing) return (a.missing ? 1 : 0) - (b.missing ? 1 : 0);
  if (a.number !== undefined && b.number !== undefined) return a.number - b.number;
  return String(a.text ?? a.number).localeCompare(String(b.text ?? b.number));
}

function sortBy(header) {
  const table = header.closest('table');
  const body = table.tBodies[0];
  const column = header.cellIndex;
  const numeric = header.classList.contains('num');
  // Numbers start largest first, labels A to Z.
  const current = header.getAttribute('aria-sort');
  const ascending = current ? current === 'descending' : !numeric;
  for (const th of table.tHead.rows[0].cells) th.removeAttribute('aria-sort');
  header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
  const rows = Array.from(body.rows);
  rows.sort((r1, r2) => {
    const a = key(r1, column);
    const b = key(r2, column);
    if (a.missing || b.missing) return compare(a, b);
    return ascending ? compare(a, b) : compare(b, a);
  });
  for (const row of rows) body.appendChild(row);
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('.block-table th button.sort');
  if (button) sortBy(button.closest('th'));
});
