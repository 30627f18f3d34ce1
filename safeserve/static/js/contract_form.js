// Contract form (CSP: no inline script). The staff field follows the agency (htmx, see the agency
// select's hx-get); enterprises are found by name through the scoped search endpoint and kept as
// ticked boxes.
document.addEventListener("DOMContentLoaded", () => {
  // The staff field sits in a box htmx can swap.
  const staff = document.getElementById("id_staff");
  if (staff && !staff.closest("#staff-options")) {
    const box = document.createElement("div");
    box.id = "staff-options";
    staff.parentNode.insertBefore(box, staff);
    box.appendChild(staff);
    const help = box.parentNode.querySelector(".form-text");
    if (help && help.previousElementSibling === box) box.appendChild(help);
  }

  for (const picker of document.querySelectorAll("[data-picker]")) {
    const search = picker.querySelector("[data-picker-search]");
    const results = picker.querySelector("[data-picker-results]");
    const selected = picker.querySelector("[data-picker-selected]");
    let timer = null;
    const pick = (row) => {
      if (selected.querySelector(`input[value="${row.id}"]`)) return;
      const label = document.createElement("label");
      label.className = "border rounded px-2 py-1";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "form-check-input";
      box.name = picker.dataset.name;
      box.value = row.id;
      box.checked = true;
      label.append(box, ` ${row.name}`);
      selected.appendChild(label);
    };
    const show = (rows) => {
      results.replaceChildren();
      if (!rows.length) {
        const none = document.createElement("div");
        none.className = "list-group-item text-muted small";
        none.textContent = results.dataset.empty;
        results.appendChild(none);
      }
      for (const row of rows) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "list-group-item list-group-item-action";
        button.textContent = `${row.name}（${row.town}）`;
        button.addEventListener("click", () => {
          pick(row);
          results.replaceChildren();
          search.value = "";
          search.focus();
        });
        results.appendChild(button);
      }
    };
    search.addEventListener("input", () => {
      clearTimeout(timer);
      const q = search.value.trim();
      if (!q) {
        results.replaceChildren();
        return;
      }
      timer = setTimeout(async () => {
        const url = `${picker.dataset.searchUrl}?q=${encodeURIComponent(q)}`;
        const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (resp.ok && search.value.trim() === q) show((await resp.json()).results);
      }, 200);
    });
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter") e.preventDefault(); // Enter picks nothing and must not submit the form
    });
  }
});
