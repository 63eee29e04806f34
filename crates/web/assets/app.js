// Small progressive enhancements; every page works without JavaScript.

// Forms marked data-confirm ask before they submit (deleting a metric, for instance).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm) {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  }
});
