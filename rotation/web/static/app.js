// htmx settings: no inline style element (the page's CSP allows no inline scripts or styles
// from htmx), and the CSRF token on every htmx request.
htmx.config.includeIndicatorStyles = false;
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrf;
  if (token) { event.detail.headers["X-CSRF-Token"] = token; }
});

// A pin's school picker shows only for the kinds that name a school (必须交流至, 不得交流至).
document.addEventListener("DOMContentLoaded", function () {
  var kind = document.getElementById("pin-kind");
  var label = document.getElementById("pin-school-label");
  if (!kind || !label) { return; }
  function sync() { label.style.display = kind.value === "不得交流" ? "none" : ""; }
  kind.addEventListener("change", sync);
  sync();
});
