// Dependent selects: <select data-depends-on="id_town" data-source="/api/v1/registry/villages/?town=">
// reloads its options (through the scoped API) whenever the select it depends on changes.
document.addEventListener("change", async (event) => {
  const parent = event.target;
  if (!parent.id) return;
  for (const child of document.querySelectorAll(`select[data-depends-on="${parent.id}"]`)) {
    const keep = child.value;
    const blank = child.querySelector('option[value=""]');
    child.innerHTML = "";
    if (blank) child.appendChild(blank);
    if (!parent.value) continue;
    const resp = await fetch(child.dataset.source + encodeURIComponent(parent.value) + "&page_size=500", {credentials: "same-origin"});
    if (!resp.ok) continue;
    const data = await resp.json();
    for (const row of data.results || data) {
      const opt = new Option(row.name, row.id, false, String(row.id) === keep);
      child.appendChild(opt);
    }
  }
});

// No inline handlers (the Content-Security-Policy forbids them): behaviour comes from data attributes.
// <select data-autosubmit> submits its form when changed (the language switch).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
});
// <form data-confirm="question"> asks before submitting.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
