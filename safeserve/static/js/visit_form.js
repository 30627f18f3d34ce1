// Visit form: choosing another checklist reloads the page with its items, keeping contract and enterprise.
document.addEventListener("DOMContentLoaded", () => {
  const sel = document.getElementById("id_template");
  if (!sel) return;
  sel.addEventListener("change", () => {
    const params = new URLSearchParams(window.location.search);
    params.set("template", sel.value);
    for (const n of ["contract", "enterprise"]) {
      const el = document.getElementById("id_" + n);
      if (el && el.value) params.set(n, el.value);
    }
    window.location.search = params.toString();
  });
});
