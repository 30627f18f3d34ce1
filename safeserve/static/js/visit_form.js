// Visit form on a phone (CSP: no inline script). Choosing another checklist reloads its items;
// "其余全部符合" answers only the items still unanswered; photos upload as soon as they are chosen
// (so a refused submit keeps them). The position button is js/locate.js.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("visit-form");
  if (!form) return;

  const sel = document.getElementById("id_template");
  if (sel) {
    sel.addEventListener("change", () => {
      const params = new URLSearchParams(window.location.search);
      params.set("template", sel.value);
      for (const n of ["contract", "enterprise"]) {
        const el = document.getElementById("id_" + n);
        if (el && el.value) params.set(n, el.value);
      }
      window.location.search = params.toString();
    });
  }

  const items = () => Array.from(form.querySelectorAll("[data-item]"));
  const answered = (li) => li.querySelector("input[type=radio]:checked") !== null;
  const counter = form.querySelector("[data-testid=answered-count]");
  const count = () => {
    if (!counter) return;
    const all = items();
    counter.textContent = `${all.filter(answered).length}/${all.length}`;
  };
  form.addEventListener("change", (e) => {
    if (e.target.type === "radio") {
      const li = e.target.closest("[data-item]");
      if (li) {
        li.classList.remove("border-danger", "border-2");
        const flag = li.querySelector("[data-testid=item-unanswered]");
        if (flag) flag.remove();
      }
      count();
    }
  });
  count();

  const allOk = form.querySelector("[data-action=all-ok]");
  if (allOk) {
    allOk.addEventListener("click", () => {
      for (const li of items()) {
        if (answered(li)) continue;
        const ok = li.querySelector("input[type=radio][value=ok]");
        if (ok) {
          ok.checked = true;
          ok.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
      count();
    });
  }

  // Photos: each chosen file is uploaded (verified by the server) and kept as a hidden id.
  const fileInput = document.getElementById("id_photos");
  const chosen = document.getElementById("chosen-photos");
  const errors = document.getElementById("upload-errors");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const addChosen = (data) => {
    const fig = document.createElement("figure");
    fig.className = "m-0 text-center";
    fig.dataset.pending = data.id;
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "pending_photo";
    hidden.value = data.id;
    const img = document.createElement("img");
    img.src = data.url;
    img.alt = data.name;
    img.className = "img-thumbnail";
    img.width = 96;
    const cap = document.createElement("figcaption");
    cap.className = "small";
    const drop = document.createElement("button");
    drop.type = "button";
    drop.className = "btn btn-link btn-sm p-0";
    drop.dataset.action = "drop-photo";
    drop.textContent = chosen.dataset.dropLabel || "移除";
    cap.appendChild(drop);
    fig.append(hidden, img, cap);
    chosen.appendChild(fig);
  };
  if (fileInput && chosen) {
    fileInput.addEventListener("change", async () => {
      const files = Array.from(fileInput.files);
      errors.textContent = "";
      fileInput.disabled = true;
      for (const file of files) {
        const body = new FormData();
        body.append("photo", file);
        try {
          const resp = await fetch(form.dataset.uploadUrl, {
            method: "POST",
            body,
            headers: { "X-CSRFToken": csrf },
            credentials: "same-origin",
          });
          const data = await resp.json();
          if (resp.ok) addChosen(data);
          else errors.textContent += (data.error || resp.statusText) + " ";
        } catch (err) {
          errors.textContent += `${file.name}: ${err} `;
        }
      }
      fileInput.value = ""; // uploaded already: the submit must not send them again
      fileInput.disabled = false;
    });
    chosen.addEventListener("click", (e) => {
      if (e.target.dataset.action === "drop-photo") e.target.closest("figure").remove();
    });
  }

  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
