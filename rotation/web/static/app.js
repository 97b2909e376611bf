// htmx settings: no inline style element (the page's CSP allows no inline scripts or styles
// from htmx), and the CSRF token on every htmx request.
htmx.config.includeIndicatorStyles = false;
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrf;
  if (token) { event.detail.headers["X-CSRF-Token"] = token; }
});
