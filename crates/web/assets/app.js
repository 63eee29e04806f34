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
