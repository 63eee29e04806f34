// Small progressive enhancements; every page works without JavaScript.

// Forms marked data-confirm ask before they submit (deleting a metric, for instance).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm) {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  }
});

// On a phone the navigation scrolls sideways: bring the current page's link into view.
const current = document.querySelector("nav.main [aria-current=page]");
const nav = current && current.parentElement;
if (nav && nav.scrollWidth > nav.clientWidth) {
  nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
}

// A search box marked data-filter-table hides the rows of that table that do not contain its
// text (the accounts of a connection, which may be a thousand).
for (const box of document.querySelectorAll("input[data-filter-table]")) {
  const table = document.getElementById(box.dataset.filterTable);
  if (!table) continue;
  const rows = [...table.querySelectorAll("tbody tr")];
  box.addEventListener("input", () => {
    const q = box.value.trim().toLowerCase();
    for (const r of rows) r.hidden = q !== "" && !r.textContent.toLowerCase().includes(q);
  });
}

// A form's accounts (fieldset data-for-metric) show only while its metric is one over several
// accounts, and offer only that metric's connection's; what is hidden is disabled, so not sent.
for (const picker of document.querySelectorAll("fieldset[data-for-metric]")) {
  const select = picker.form && picker.form.elements.namedItem("metric");
  if (!(select instanceof HTMLSelectElement)) continue;
  const show = () => {
    const option = select.selectedOptions[0];
    const scope = option ? option.dataset.accounts : undefined;
    picker.hidden = scope === undefined;
    picker.disabled = picker.hidden;
    for (const label of picker.querySelectorAll(".account-option[data-connection]")) {
      const offered = scope === "any" || label.dataset.connection === scope;
      label.hidden = !offered;
      label.querySelector("input").disabled = !offered;
    }
  };
  select.addEventListener("change", show);
  show();
}
