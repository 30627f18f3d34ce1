// List pages (core/object_list.html and the lists built on it). No inline script: the CSP forbids it.

// 1. The export button always exports what the page shows now: the current query string (htmx
//    keeps it in the address bar), and while the workbook is generated it says so. The server
//    answers the token ``_dl`` with a cookie when the file is ready (core.views.mark_download).
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-export]");
  if (!link || link.dataset.busy) return;
  const url = new URL(link.href, window.location.href);
  const current = new URLSearchParams(window.location.search);
  current.delete("page");
  current.delete("_dl");
  const token = Math.random().toString(36).slice(2, 14);
  current.set("_dl", token);
  url.search = current.toString();
  link.href = url.toString();
  const label = link.innerHTML;
  link.dataset.busy = "1";
  link.classList.add("disabled");
  link.setAttribute("aria-busy", "true");
  link.innerHTML = '<span class="spinner-border spinner-border-sm" aria-hidden="true"></span> ' + link.dataset.exportBusy;
  const cookie = "ss_dl_" + token;
  const started = Date.now();
  const timer = window.setInterval(() => {
    const done = document.cookie.split("; ").some((c) => c.startsWith(cookie + "="));
    if (done || Date.now() - started > 600000) {
      window.clearInterval(timer);
      document.cookie = cookie + "=; Max-Age=0; path=/";
      link.innerHTML = label;
      link.classList.remove("disabled");
      link.removeAttribute("aria-busy");
      delete link.dataset.busy;
    }
  }, 300);
});

// 2. Choose a record by name: <select data-autocomplete="enterprise"> gets a search box that asks
//    /autocomplete/<kind>/?q=... (scoped to what the user may see, at most 20 answers).
function setupAutocomplete(select) {
  if (select.dataset.autocompleteReady) return;
  select.dataset.autocompleteReady = "1";
  const wrap = document.createElement("div");
  wrap.className = "position-relative";
  const input = document.createElement("input");
  input.type = "search";
  input.className = "form-control form-control-sm";
  input.autocomplete = "off";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-label", select.labels && select.labels[0] ? select.labels[0].textContent : select.name);
  input.placeholder = select.dataset.placeholder || "";
  const chosen = select.selectedOptions[0];
  if (chosen && chosen.value) input.value = chosen.textContent;
  const list = document.createElement("ul");
  list.className = "list-group position-absolute w-100 shadow-sm ss-autocomplete";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  select.hidden = true;
  select.parentNode.insertBefore(wrap, select);
  wrap.appendChild(input);
  wrap.appendChild(list);
  wrap.appendChild(select);
  if (select.id) {
    input.id = select.id + "_search";
    const label = document.querySelector(`label[for="${select.id}"]`);
    if (label) label.htmlFor = input.id;
  }

  const choose = (id, text) => {
    select.innerHTML = "";
    select.appendChild(new Option("", ""));
    if (id) select.appendChild(new Option(text, id, true, true));
    select.value = id;
    input.value = id ? text : "";
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    select.dispatchEvent(new Event("change", {bubbles: true}));
  };
  let timer = null;
  let asked = "";
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      if (select.value) choose("", "");
      list.hidden = true;
      return;
    }
    timer = window.setTimeout(async () => {
      asked = q;
      const resp = await fetch(`/autocomplete/${select.dataset.autocomplete}/?q=${encodeURIComponent(q)}`, {
        credentials: "same-origin",
        headers: {Accept: "application/json"},
      });
      if (!resp.ok || asked !== q) return;
      const data = await resp.json();
      list.innerHTML = "";
      for (const row of data.results) {
        const item = document.createElement("li");
        item.className = "list-group-item list-group-item-action py-1 small";
        item.setAttribute("role", "option");
        item.dataset.id = row.id;
        item.textContent = row.text;
        list.appendChild(item);
      }
      if (!data.results.length) {
        const none = document.createElement("li");
        none.className = "list-group-item py-1 small text-muted";
        none.textContent = select.dataset.none || "—";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }, 250);
  });
  list.addEventListener("mousedown", (event) => {
    const item = event.target.closest("li[data-id]");
    if (!item) return;
    event.preventDefault();
    choose(item.dataset.id, item.textContent);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !list.hidden) {
      const first = list.querySelector("li[data-id]");
      if (first) {
        event.preventDefault();
        choose(first.dataset.id, first.textContent);
      }
    } else if (event.key === "Escape") {
      list.hidden = true;
    }
  });
  input.addEventListener("blur", () => window.setTimeout(() => { list.hidden = true; }, 150));
}

function setupAll(root) {
  for (const select of (root || document).querySelectorAll("select[data-autocomplete]")) setupAutocomplete(select);
}
document.addEventListener("DOMContentLoaded", () => setupAll(document));
document.addEventListener("htmx:afterSwap", (event) => setupAll(event.target));
