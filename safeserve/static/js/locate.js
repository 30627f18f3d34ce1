// "记录当前位置" on a phone form (CSP: no inline script): the position is asked for only when the user
// taps the button (the browser asks for consent then), and fills the form's latitude, longitude and,
// where the form has one, accuracy fields. Used by the agency's and the expert's visit forms.
document.addEventListener("DOMContentLoaded", () => {
  for (const locate of document.querySelectorAll("[data-action=locate]")) {
    const form = locate.closest("form");
    const status = form && form.querySelector("[data-testid=location-status]");
    if (!status) continue;
    const field = (name) => form.querySelector(`[name=${name}]`);
    locate.addEventListener("click", () => {
      if (!navigator.geolocation) {
        status.textContent = status.dataset.unsupported;
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (pos) => {
          const lat = pos.coords.latitude.toFixed(6);
          const lng = pos.coords.longitude.toFixed(6);
          const accuracy = Math.round(pos.coords.accuracy || 0);
          field("latitude").value = lat;
          field("longitude").value = lng;
          if (field("location_accuracy")) field("location_accuracy").value = accuracy;
          status.textContent = `${status.dataset.done} ${lat}, ${lng} (±${accuracy} m)`;
        },
        () => {
          status.textContent = status.dataset.denied;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }
});
