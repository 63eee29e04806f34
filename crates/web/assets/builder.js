// The Metric Builder wizard (templates/builder.html). Six steps, each reachable again once
// visited; every call goes to /api/v1 with the session's CSRF token. Text that comes from
// Twilio or from the user is only ever set with textContent, never parsed as HTML.

const root = document.getElementById("builder");
if (root) start(root);

function start(root) {
  const $ = (id) => document.getElementById(id);
  const csrf = root.dataset.csrf || "";
  const metricId = root.dataset.metricId ? Number(root.dataset.metricId) : null;

  const state = {
    step: 1,
    maxStep: 1,
    pages: [],
    endpoint: null,
    picks: { records: null, value: null, dimension: null, date: null },
    generated: "",
    touched: false,
    dateTarget: null,
  };

  // ------------------------------------------------------------ helpers

  async function api(path, body) {
    const init = { method: body === undefined ? "GET" : "POST", credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRF-Token"] = csrf;
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = {};
    try { data = await response.json(); } catch (_) { /* an empty or non-JSON body */ }
    if (!response.ok) {
      const error = new Error((data.error && data.error.message) || `${response.status} ${response.statusText}`);
      error.detail = data.error || {};
      throw error;
    }
    return data;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("data")) node.setAttribute(k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()), v === true ? "" : v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  function showError(id, message) {
    const box = $(id);
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  function busy(button, on, label) {
    if (on) {
      button.dataset.label = button.textContent;
      button.textContent = label;
      button.disabled = true;
    } else {
      button.textContent = button.dataset.label || button.textContent;
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------ steps

  function showStep(n) {
    state.step = n;
    state.maxStep = Math.max(state.maxStep, n);
    for (const section of root.querySelectorAll(".b-step")) section.hidden = Number(section.dataset.step) !== n;
    for (const tab of root.querySelectorAll("[data-step-tab]")) {
      const k = Number(tab.dataset.stepTab);
      tab.disabled = k > state.maxStep;
      if (k === n) tab.setAttribute("aria-current", "step");
      else tab.removeAttribute("aria-current");
    }
    root.dataset.step = String(n);
    const heading = $(`step-${n}`).querySelector("h2");
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
    if (n === 3) fillDimensions();
    if (n === 4) fillDates();
    if (n === 5) paintEditor();
    if (n === 6) fillAccounts();
  }

  for (const tab of root.querySelectorAll("[data-step-tab]")) {
    tab.addEventListener("click", () => showStep(Number(tab.dataset.stepTab)));
  }
  for (let n = 2; n <= 6; n++) {
    const back = $(`b-back-${n}`);
    if (back) back.addEventListener("click", () => showStep(n - 1));
  }

  // ------------------------------------------------------------ step 1: the request

  const paramNames = el("datalist", { id: "b-param-names" });
  root.append(paramNames);

  function kvRow(container, kind, key = "", value = "") {
    const isParam = kind === "param";
    const keyInput = el("input", { type: "text", value: key, placeholder: isParam ? "Name, e.g. DateSent>" : "Header name", "aria-label": isParam ? "Parameter name" : "Header name", "data-test": isParam ? "param-key" : "header-name", list: isParam ? "b-param-names" : null, spellcheck: "false" });
    const valueInput = el("input", { type: "text", value, placeholder: "Value", "aria-label": isParam ? "Parameter value" : "Header value", "data-test": isParam ? "param-value" : "header-value", spellcheck: "false" });
    keyInput.value = key;
    valueInput.value = value;
    const row = el("div", { class: "b-row", "data-test": isParam ? "param-row" : "header-row" }, keyInput, valueInput);
    if (isParam) {
      const cal = el("button", { type: "button", class: "secondary b-cal", title: "Insert a date of the sync window", "aria-label": "Insert a date", "data-test": "param-date" }, calendarIcon());
      cal.addEventListener("click", () => openDatePicker(valueInput, row));
      row.append(cal);
    }
    const remove = el("button", { type: "button", class: "secondary", "aria-label": "Remove", title: "Remove", "data-test": isParam ? "param-remove" : "header-remove", text: "✕" });
    remove.addEventListener("click", () => row.remove());
    row.append(remove);
    container.append(row);
    return row;
  }

  $("b-add-param").addEventListener("click", () => kvRow($("b-params"), "param").querySelector("input").focus());
  $("b-add-header").addEventListener("click", () => kvRow($("b-headers"), "header").querySelector("input").focus());

  function calendarIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    for (const d of ["M4 6h16v14H4z", "M4 10h16", "M8 3v5", "M16 3v5"]) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  function openDatePicker(input, row) {
    state.dateTarget = input;
    const picker = $("b-date-picker");
    row.after(picker);
    picker.hidden = false;
    $("b-date-token").focus();
  }
  $("b-date-cancel").addEventListener("click", () => { $("b-date-picker").hidden = true; });
  $("b-date-insert").addEventListener("click", () => {
    const input = state.dateTarget;
    if (!input) return;
    const format = $("b-date-format").value;
    const token = `{{${$("b-date-token").value}${format ? "|" + format : ""}}}`;
    const at = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? at;
    input.value = input.value.slice(0, at) + token + input.value.slice(end);
    $("b-date-picker").hidden = true;
    input.focus();
  });

  function methodNote() {
    const m = $("b-method").value;
    $("b-method-note").textContent = m === "GET" ? "" : `Switchboard only reads from Twilio: ${m} is refused, only GET is sent.`;
    $("b-method-note").classList.toggle("bad", m !== "GET");
  }
  $("b-method").addEventListener("change", methodNote);

  function showEndpoint(e) {
    state.endpoint = e;
    $("b-endpoint").hidden = !e;
    if (!e) return;
    $("b-endpoint-summary").textContent = e.summary || "";
    $("b-docs").href = e.docs;
    paramNames.replaceChildren(...(e.params || []).map((p) => el("option", { value: p.name, label: p.description || p.name })));
  }

  let searchTimer = null;
  let searchSeq = 0;
  $("b-path").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchPaths, 200);
  });
  $("b-path").addEventListener("keydown", (event) => {
    if (event.key === "Escape") $("b-path-suggestions").hidden = true;
  });

  async function searchPaths() {
    const q = $("b-path").value.trim();
    const list = $("b-path-suggestions");
    if (q.length < 2) { list.hidden = true; return; }
    const seq = ++searchSeq;
    let data;
    try { data = await api(`/api/v1/catalog?q=${encodeURIComponent(q)}`); } catch (_) { return; }
    if (seq !== searchSeq) return;
    list.replaceChildren();
    for (const e of data.endpoints || []) {
      const b = el("button", { type: "button", role: "option", class: "b-suggestion", "data-test": "path-suggestion", "data-host": e.host, "data-path": e.path },
        el("code", { text: e.path }), el("span", { class: "small muted", text: ` ${e.host} · ${e.summary}` }));
      b.addEventListener("click", () => choosePath(e));
      list.append(el("li", {}, b));
    }
    list.hidden = list.children.length === 0;
  }

  function choosePath(e) {
    $("b-host").value = e.host;
    $("b-path").value = e.path;
    $("b-path-suggestions").hidden = true;
    showEndpoint(e);
    const hasParams = [...$("b-params").querySelectorAll("[data-test=param-key]")].some((i) => i.value.trim());
    if (!hasParams && e.list_key && (e.params || []).some((p) => p.name === "PageSize")) {
      // The blank row the form starts with takes it, rather than staying empty above it.
      const blank = [...$("b-params").querySelectorAll(".b-row")].find((r) => [...r.querySelectorAll("input")].every((i) => !i.value.trim()));
      if (blank) {
        const [k, v] = blank.querySelectorAll("input");
        k.value = "PageSize";
        v.value = "1000";
      } else kvRow($("b-params"), "param", "PageSize", "1000");
    }
    if ((e.placeholders || []).length) {
      showError("b-error-1", `Replace ${e.placeholders.map((p) => "{" + p + "}").join(", ")} in the path with a real value.`);
    } else showError("b-error-1", "");
  }

  function request() {
    const rows = (id, a, b) => [...$(id).querySelectorAll(".b-row")]
      .map((r) => r.querySelectorAll("input"))
      .filter((i) => i[0].value.trim() !== "")
      .map((i) => ({ [a]: i[0].value.trim(), [b]: i[1].value }));
    return {
      host: $("b-host").value,
      path: $("b-path").value.trim(),
      params: rows("b-params", "key", "value"),
      headers: rows("b-headers", "name", "value"),
      pagination: $("b-pagination").value,
    };
  }
  const hours = () => Math.max(1, Number($("b-hours").value) || 72);

  $("b-next-1").addEventListener("click", async () => {
    const button = $("b-next-1");
    showError("b-error-1", "");
    busy(button, true, "Running the request…");
    try {
      const data = await api("/api/v1/builder/fetch", { connection: $("b-connection").value, method: $("b-method").value, request: request(), hours: hours() });
      state.pages = data.pages || [];
      if (data.docs && !state.endpoint) showEndpoint({ docs: data.docs, summary: "", params: [] });
      $("b-fetch-info").textContent = `${state.pages.length} page${state.pages.length === 1 ? "" : "s"} from ${(data.urls || [])[0] || "Twilio"}. The first is shown.`;
      renderTree();
      showStep(2);
    } catch (error) {
      showError("b-error-1", error.message);
    } finally {
      busy(button, false);
    }
  });

  // ------------------------------------------------------------ step 2: the value

  const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
  // Phone numbers ("+15551234567") read as numbers, but nobody adds them up: not offered.
  const isNumeric = (v) => (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && NUMERIC.test(v) && !v.trim().startsWith("+"));
  const TREE_ITEMS = 25;

  const showPath = (segs) => segs.map((s, i) => (typeof s === "number" ? `[${s}]` : (i ? "." : "") + s)).join("");

  function renderTree() {
    const tree = $("b-tree");
    const counts = $("b-counts");
    tree.replaceChildren();
    counts.replaceChildren();
    const page = state.pages[0];
    if (page === undefined) {
      tree.append(el("p", { class: "muted", text: "Run the request in step 1 to browse its response." }));
      return;
    }
    const lists = [];
    tree.append(el("ul", { class: "b-tree-root" }, node("response", page, [], 0, lists)));
    if (lists.length) counts.append(el("span", { class: "small muted", text: "Or count records: " }));
    for (const path of lists) {
      const b = el("button", { type: "button", class: "secondary", "data-test": "count-records", "data-records": path, text: `Count of records in ${path}` });
      b.addEventListener("click", () => pickCount(path, b));
      counts.append(b);
    }
    markChosen();
  }

  function node(key, value, segs, depth, lists) {
    if (value !== null && typeof value === "object") {
      const isArray = Array.isArray(value);
      const entries = isArray ? value.slice(0, TREE_ITEMS).map((v, i) => [i, v]) : Object.entries(value);
      if (isArray && !segs.some((s) => typeof s === "number") && value.some((v) => v && typeof v === "object" && !Array.isArray(v))) {
        lists.push(segs.join("."));
      }
      const label = isArray ? `${key} [${value.length} item${value.length === 1 ? "" : "s"}]` : `${key} {${entries.length}}`;
      const details = el("details", { "data-path": showPath(segs) }, el("summary", { text: label }));
      if (depth < 1 || (depth < 3 && !segs.some((s) => typeof s === "number")) || (segs.length && segs[segs.length - 1] === 0)) details.open = true;
      const ul = el("ul");
      for (const [k, v] of entries) ul.append(node(String(k), v, [...segs, k], depth + 1, lists));
      if (isArray && value.length > TREE_ITEMS) ul.append(el("li", { class: "muted small", text: `… ${value.length - TREE_ITEMS} more` }));
      details.append(ul);
      return el("li", {}, details);
    }
    const text = value === null ? "null" : typeof value === "string" ? JSON.stringify(value) : String(value);
    if (!isNumeric(value)) {
      return el("li", {}, el("span", { class: "b-leaf-text", title: "Not a number: it cannot be the value", text: `${key}: ` }), el("span", { class: "muted", text }));
    }
    const b = el("button", { type: "button", class: "b-leaf", "data-test": "leaf", "data-path": showPath(segs), "aria-pressed": "false" },
      el("span", { text: `${key}: ` }), el("strong", { text }));
    b.addEventListener("click", () => pickLeaf(segs));
    return el("li", {}, b);
  }

  // A picked leaf splits into the list of records (before the last index) and the field path.
  function splitPath(segs) {
    const last = segs.map((s) => typeof s === "number").lastIndexOf(true);
    const before = last < 0 ? [] : segs.slice(0, last);
    const after = last < 0 ? segs : segs.slice(last + 1);
    if (before.some((s) => typeof s === "number")) return { error: "Pick a field of one list of records (a list inside another list cannot be a value)." };
    if ([...before, ...after].some((s) => String(s).includes(".") || String(s) === "")) return { error: "This field's name contains a dot, which the builder cannot address: edit the expression in step 5 instead." };
    return { records: before.length ? before.join(".") : null, field: after.join(".") };
  }

  function pickLeaf(segs) {
    const split = splitPath(segs);
    if (split.error) { showError("b-error-2", split.error); return; }
    showError("b-error-2", "");
    setRecords(split.records);
    state.picks.value = { kind: "field", path: split.field };
    markChosen();
  }

  function pickCount(path) {
    showError("b-error-2", "");
    setRecords(path || null);
    state.picks.value = { kind: "count" };
    markChosen();
  }

  function setRecords(records) {
    if (state.picks.records !== records) {
      // Dimension and date are fields of the records: another list makes them meaningless.
      state.picks.dimension = null;
      state.picks.date = null;
    }
    state.picks.records = records;
  }

  function markChosen() {
    const p = state.picks;
    const chosen = $("b-value-chosen");
    if (!p.value) { chosen.textContent = "Nothing chosen yet."; $("b-next-2").disabled = true; return; }
    chosen.textContent = p.value.kind === "count"
      ? `Value: the count of records in ${p.records || "the response"}.`
      : `Value: ${p.value.path}${p.records ? ` of each record in ${p.records}` : " of the response"}.`;
    $("b-next-2").disabled = false;
    for (const b of root.querySelectorAll("[data-test=leaf]")) {
      const split = splitPath(parseShown(b.dataset.path));
      b.setAttribute("aria-pressed", String(p.value.kind === "field" && split.records === p.records && split.field === p.value.path));
    }
    for (const b of root.querySelectorAll("[data-test=count-records]")) {
      b.setAttribute("aria-pressed", String(p.value.kind === "count" && b.dataset.records === (p.records || "")));
    }
  }

  function parseShown(text) {
    const segs = [];
    for (const part of text.match(/[^.[\]]+|\[\d+\]/g) || []) segs.push(part.startsWith("[") ? Number(part.slice(1, -1)) : part);
    return segs;
  }

  $("b-next-2").addEventListener("click", () => showStep(3));

  // ------------------------------------------------------------ steps 3 and 4: fields of the records

  function records() {
    const page = state.pages[0];
    if (page === undefined) return [];
    if (!state.picks.records) return [page];
    let at = page;
    for (const s of state.picks.records.split(".")) at = at && typeof at === "object" ? at[s] : undefined;
    return Array.isArray(at) ? at.filter((r) => r && typeof r === "object").slice(0, 500) : [];
  }

  function fields() {
    const out = new Map();
    const walk = (value, prefix, depth) => {
      for (const [k, v] of Object.entries(value)) {
        if (k.includes(".") || k === "") continue;
        const path = prefix ? `${prefix}.${k}` : k;
        if (v && typeof v === "object") { if (!Array.isArray(v) && depth < 4) walk(v, path, depth + 1); continue; }
        if (!out.has(path)) out.set(path, []);
        out.get(path).push(v);
      }
    };
    for (const r of records()) walk(r, "", 0);
    return out;
  }

  const DATEISH = /\d{4}-\d{2}-\d{2}|^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4}/;

  function options(select, candidates, chosen, keepFirst) {
    const first = keepFirst ? [select.options[0]] : [];
    const list = [...candidates];
    if (chosen && !list.some((c) => c.path === chosen)) list.unshift({ path: chosen, examples: [] });
    select.replaceChildren(...first, ...list.map((c) => el("option", { value: c.path, text: c.examples.length ? `${c.path}  (e.g. ${c.examples.join(", ")})` : c.path })));
    select.value = chosen || (keepFirst ? "" : (list[0] && list[0].path) || "");
  }

  function fillDimensions() {
    const candidates = [];
    for (const [path, values] of fields()) {
      const present = values.filter((v) => v !== null && v !== "");
      if (!present.length) continue;
      if (!present.every((v) => typeof v === "boolean" || (typeof v === "string" && !isNumeric(v) && !DATEISH.test(v)))) continue;
      const distinct = [...new Set(present.map(String))];
      if (distinct.length > 50 || (present.length >= 4 && distinct.length * 2 > present.length)) continue;
      candidates.push({ path, examples: distinct.slice(0, 3) });
    }
    options($("b-dimension"), candidates, state.picks.dimension, true);
  }
  $("b-dimension").addEventListener("change", () => { state.picks.dimension = $("b-dimension").value || null; });
  $("b-next-3").addEventListener("click", () => { state.picks.dimension = $("b-dimension").value || null; showStep(4); });

  function fillDates() {
    const candidates = [];
    for (const [path, values] of fields()) {
      const present = values.filter((v) => v !== null && v !== "");
      // An API version ("2010-04-01") looks like a date but dates nothing.
      if (/version$/.test(path)) continue;
      if (present.length && present.every((v) => typeof v === "string" && DATEISH.test(v) && !Number.isNaN(Date.parse(v)))) {
        candidates.push({ path, examples: present.slice(0, 1) });
      }
    }
    candidates.sort((a, b) => Number(/sent|start/.test(b.path)) - Number(/sent|start/.test(a.path)));
    const current = state.picks.date && state.picks.date.kind === "field" ? state.picks.date.path : null;
    options($("b-date-field"), candidates, current, false);
    const sync = state.picks.date ? state.picks.date.kind === "sync_time" : $("b-date-field").options.length === 0;
    $("b-date-sync").checked = sync;
    $("b-date-field-radio").checked = !sync;
    $("b-date-field").disabled = sync;
  }
  for (const id of ["b-date-sync", "b-date-field-radio"]) {
    $(id).addEventListener("change", () => { $("b-date-field").disabled = $("b-date-sync").checked; });
  }

  $("b-next-4").addEventListener("click", async () => {
    showError("b-error-4", "");
    if ($("b-date-sync").checked) state.picks.date = { kind: "sync_time" };
    else if ($("b-date-field").value) state.picks.date = { kind: "field", path: $("b-date-field").value };
    else { showError("b-error-4", "Choose a date field, or date rows by the time of the sync."); return; }
    if (!state.touched || !$("b-expression").value.trim()) {
      if (!(await regenerate("b-error-4"))) return;
    }
    showStep(5);
  });

  function picks() {
    const p = state.picks;
    if (!p.value || !p.date) return null;
    const out = { value: p.value, date: p.date };
    if (p.records) out.records = p.records;
    if (p.dimension) out.dimension = p.dimension;
    return out;
  }

  async function regenerate(errorBox) {
    const chosen = picks();
    if (!chosen) { showError(errorBox, "Choose the value (step 2) and the date (step 4) first."); return false; }
    try {
      const data = await api("/api/v1/builder/expression", { picks: chosen });
      state.generated = data.expression;
      state.touched = false;
      $("b-expression").value = data.expression;
      paintEditor();
      return true;
    } catch (error) {
      showError(errorBox, error.message);
      return false;
    }
  }

  // ------------------------------------------------------------ step 5: the editor and the preview

  const editor = $("b-expression");
  let errorSpan = null;

  function paintEditor() {
    const text = editor.value;
    const lines = text.split("\n").length;
    $("b-lines").textContent = Array.from({ length: lines }, (_, i) => i + 1).join("\n");
    const mirror = $("b-mirror");
    mirror.replaceChildren();
    if (errorSpan) {
      const start = Math.min(errorSpan.start, text.length);
      const end = Math.min(Math.max(errorSpan.end, start), text.length);
      const mark = el("mark", { class: "b-error-mark", "data-test": "expression-error-mark" });
      // An empty span (an error at one point) still gets a visible mark.
      mark.textContent = end > start ? text.slice(start, end) : " ";
      mirror.append(text.slice(0, start), mark, text.slice(end === start ? start : end));
    } else {
      mirror.append(text);
    }
    mirror.append("\n");
    syncScroll();
  }
  function syncScroll() {
    $("b-mirror").scrollTop = editor.scrollTop;
    $("b-mirror").scrollLeft = editor.scrollLeft;
    $("b-lines").scrollTop = editor.scrollTop;
  }
  editor.addEventListener("input", () => {
    state.touched = editor.value !== state.generated;
    errorSpan = null;
    showError("b-expression-error", "");
    paintEditor();
  });
  editor.addEventListener("scroll", syncScroll);
  $("b-regenerate").addEventListener("click", () => { errorSpan = null; showError("b-expression-error", ""); regenerate("b-expression-error"); });

  $("b-preview").addEventListener("click", async () => {
    const button = $("b-preview");
    errorSpan = null;
    showError("b-expression-error", "");
    $("b-preview-result").hidden = true;
    busy(button, true, "Running…");
    try {
      const data = await api("/api/v1/builder/preview", { connection: $("b-connection").value, request: request(), expression: editor.value, hours: hours() });
      showPreview(data);
    } catch (error) {
      if (error.detail && error.detail.span) errorSpan = error.detail.span;
      showError("b-expression-error", error.message);
    } finally {
      busy(button, false);
      paintEditor();
    }
  });

  const fmt = (n) => (Math.abs(n) >= 1000 || Number.isInteger(n) ? n.toLocaleString("en-US", { maximumFractionDigits: 2 }) : n.toPrecision(4));

  function showPreview(data) {
    $("b-preview-result").hidden = false;
    $("b-preview-summary").textContent = `${data.total_rows} row${data.total_rows === 1 ? "" : "s"} from ${data.pages} page${data.pages === 1 ? "" : "s"}, adding up to ${fmt(data.total_value)}; ${data.skipped} skipped, ${data.bad} bad.`;
    $("b-preview-summary").dataset.totalRows = String(data.total_rows);
    $("b-preview-summary").dataset.totalValue = String(data.total_value);
    const body = $("b-rows").querySelector("tbody");
    body.replaceChildren(...data.rows.map((r) => el("tr", { "data-test": "preview-row" }, el("td", { text: r.date }), el("td", { class: "num", text: fmt(r.value) }), el("td", { text: r.dimension ?? "—" }))));
    const list = (id, title, items) => {
      const box = $(id);
      box.replaceChildren();
      if (!items.length) return;
      box.append(el("h3", { text: title }), el("ul", {}, ...items.map((t) => el("li", { text: t }))));
    };
    list("b-skipped", `Skipped rows (${data.skipped})`, data.skipped_examples || []);
    list("b-bad", `Bad rows (${data.bad})`, data.bad_examples || []);
    chart(data.series || []);
  }

  function chart(series) {
    const svg = $("b-chart");
    const ns = "http://www.w3.org/2000/svg";
    svg.replaceChildren();
    if (!series.length) return;
    const W = 600, H = 140, pad = 18;
    const max = Math.max(...series.map((p) => p.value), 0);
    const min = Math.min(...series.map((p) => p.value), 0);
    const span = max - min || 1;
    const bw = (W - pad * 2) / series.length;
    const y = (v) => H - pad - ((v - min) / span) * (H - pad * 2);
    series.forEach((p, i) => {
      const r = document.createElementNS(ns, "rect");
      const top = Math.min(y(p.value), y(0));
      r.setAttribute("x", String(pad + i * bw + bw * 0.1));
      r.setAttribute("width", String(Math.max(1, bw * 0.8)));
      r.setAttribute("y", String(top));
      r.setAttribute("height", String(Math.max(1, Math.abs(y(p.value) - y(0)))));
      const title = document.createElementNS(ns, "title");
      title.textContent = `${p.day}: ${fmt(p.value)}`;
      r.append(title);
      svg.append(r);
    });
    const label = (x, text, anchor) => {
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", String(x));
      t.setAttribute("y", String(H - 3));
      t.setAttribute("text-anchor", anchor);
      t.textContent = text;
      svg.append(t);
    };
    label(pad, series[0].day, "start");
    if (series.length > 1) label(W - pad, series[series.length - 1].day, "end");
  }

  $("b-next-5").addEventListener("click", () => {
    if (!editor.value.trim()) { showError("b-expression-error", "The expression is empty."); return; }
    showStep(6);
  });

  // ------------------------------------------------------------ step 6: describe and save

  $("b-unit").addEventListener("change", () => {
    const currency = $("b-unit").value === "currency";
    $("b-currency").disabled = !currency;
    if (currency && !$("b-currency").value) $("b-currency").value = "USD";
  });

  // ------------------------------------------------------------ accounts

  let accountsByConnection = {};
  try { accountsByConnection = JSON.parse(root.dataset.accounts || "{}"); } catch (_) { /* none */ }
  const chosenAccounts = new Set();

  function accountScope() {
    const checked = root.querySelector("input[name=b-accounts]:checked");
    return checked ? checked.value : "connection";
  }

  function fillAccounts() {
    const known = accountsByConnection[$("b-connection").value] || {};
    const list = known.accounts || [];
    $("b-accounts-link").href = known.id ? `/connections/${known.id}/accounts` : "/connections";
    const active = list.filter((a) => a.requested).length;
    $("b-accounts-active-count").textContent = list.length ? `(${active} now)` : "(none discovered yet)";
    const boxes = $("b-account-boxes");
    boxes.replaceChildren();
    for (const a of list) {
      const box = el("input", { type: "checkbox", value: a.sid, "data-test": "account-box" });
      box.checked = chosenAccounts.has(a.sid);
      box.addEventListener("change", () => { if (box.checked) chosenAccounts.add(a.sid); else chosenAccounts.delete(a.sid); countChosen(); });
      const note = a.status === "active" ? (a.parent ? " · this connection's account" : "") : ` · ${a.status}`;
      boxes.append(el("li", { "data-search": `${a.name} ${a.sid}`.toLowerCase() }, el("label", {}, box, " ", el("strong", { text: a.name }), " ", el("code", { class: "small", text: a.sid }), el("span", { class: "small muted", text: note }))));
    }
    if (!list.length) boxes.append(el("li", { class: "muted small", text: "No accounts discovered for this connection yet." }));
    $("b-account-list").hidden = accountScope() !== "list";
    filterAccounts();
    countChosen();
  }

  function filterAccounts() {
    const q = $("b-account-filter").value.trim().toLowerCase();
    for (const li of $("b-account-boxes").children) li.hidden = q !== "" && !(li.dataset.search || "").includes(q);
  }

  function countChosen() {
    const n = chosenAccounts.size;
    $("b-account-chosen").textContent = n === 1 ? "1 account chosen." : `${n} accounts chosen.`;
  }

  for (const radio of root.querySelectorAll("input[name=b-accounts]")) radio.addEventListener("change", fillAccounts);
  $("b-account-filter").addEventListener("input", filterAccounts);
  $("b-connection").addEventListener("change", () => { chosenAccounts.clear(); fillAccounts(); });

  function definition() {
    const format = { unit: $("b-unit").value };
    if (format.unit === "currency") format.currency = $("b-currency").value.trim().toUpperCase();
    if ($("b-decimals").value !== "") format.decimals = Number($("b-decimals").value);
    const description = {
      name: $("b-name").value.trim(),
      aggregation: $("b-aggregation").value,
      favourable: $("b-favourable").value,
      format,
      interval: $("b-interval").value,
    };
    if ($("b-summary").value.trim()) description.summary = $("b-summary").value.trim();
    const extraction = { expression: editor.value };
    const chosen = picks();
    if (chosen) extraction.picks = chosen;
    const def = { version: 1, connection: $("b-connection").value, request: request(), extraction, description };
    const scope = accountScope();
    if (scope === "active") def.accounts = "active";
    if (scope === "list") def.accounts = { list: [...chosenAccounts] };
    return def;
  }

  $("b-save").addEventListener("click", async () => {
    const button = $("b-save");
    showError("b-error-6", "");
    if (!$("b-name").value.trim()) { showError("b-error-6", "Give the metric a name."); $("b-name").focus(); return; }
    busy(button, true, "Saving…");
    try {
      const data = await api("/api/v1/builder/save", { metric_id: metricId, definition: definition() });
      // The server put what happened in a one-time message the Metrics screen shows.
      window.location.assign(data.redirect || "/metrics/all");
    } catch (error) {
      showError("b-error-6", error.message);
      busy(button, false);
    }
  });

  // ------------------------------------------------------------ editing a saved metric

  function prefill(def) {
    const r = def.request || {};
    if (def.connection) $("b-connection").value = def.connection;
    if (r.host) $("b-host").value = r.host;
    $("b-path").value = r.path || "";
    for (const p of r.params || []) kvRow($("b-params"), "param", p.key, p.value);
    for (const h of r.headers || []) kvRow($("b-headers"), "header", h.name, h.value);
    $("b-pagination").value = r.pagination || "next_page";
    const x = def.extraction || {};
    if (x.picks) {
      state.picks = { records: x.picks.records || null, value: x.picks.value || null, dimension: x.picks.dimension || null, date: x.picks.date || null };
    }
    editor.value = x.expression || "";
    state.touched = true;
    const d = def.description || {};
    $("b-name").value = d.name || "";
    $("b-name").readOnly = true;
    $("b-name").title = "Renaming is not supported yet";
    $("b-summary").value = d.summary || "";
    if (d.aggregation) $("b-aggregation").value = d.aggregation;
    if (d.favourable) $("b-favourable").value = d.favourable;
    if (d.interval) $("b-interval").value = d.interval;
    const f = d.format || {};
    if (f.unit) $("b-unit").value = f.unit;
    $("b-currency").disabled = f.unit !== "currency";
    $("b-currency").value = f.currency || "";
    if (f.decimals !== undefined) $("b-decimals").value = String(f.decimals);
    const scope = def.accounts === "active" ? "active" : def.accounts && def.accounts.list ? "list" : "connection";
    for (const sid of (def.accounts && def.accounts.list) || []) chosenAccounts.add(sid);
    const radio = root.querySelector(`input[name=b-accounts][value=${scope}]`);
    if (radio) radio.checked = true;
    markChosen();
    renderTree();
    api(`/api/v1/catalog?q=${encodeURIComponent(r.path || "")}&host=${encodeURIComponent(r.host || "")}`)
      .then((data) => { const e = (data.endpoints || []).find((e) => e.path === r.path); if (e) showEndpoint(e); })
      .catch(() => {});
  }

  if (root.dataset.initial) {
    try {
      prefill(JSON.parse(root.dataset.initial));
      state.maxStep = 6;
    } catch (_) {
      showError("b-error-1", "The saved definition could not be read; start from the request.");
    }
  }
  if (!$("b-params").children.length) kvRow($("b-params"), "param");
  methodNote();
  showStep(1);
}
