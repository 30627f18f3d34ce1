// Confirmation before an irreversible step （销号， 关闭报警， 签发文书）， without inline script (CSP).
// <button data-confirm="question" data-requires="id_note" data-requires-message="...">: the named
// field must be filled first (the server checks it too), then the question is asked.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-confirm]");
  if (!button) return;
  const field = button.dataset.requires && document.getElementById(button.dataset.requires);
  if (field && !field.value.trim()) {
    event.preventDefault();
    field.classList.add("is-invalid");
    field.setCustomValidity(button.dataset.requiresMessage || "");
    field.reportValidity();
    field.addEventListener("input", () => { field.setCustomValidity(""); field.classList.remove("is-invalid"); }, {once: true});
    return;
  }
  if (!window.confirm(button.dataset.confirm)) event.preventDefault();
});
