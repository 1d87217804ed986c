// Progressive enhancement only: pages read fine without it. The overview refreshes its numbers
// from /overview.json every 5 s (pausing while the tab is hidden).
(function () {
  "use strict";
  var metrics = document.querySelectorAll("[data-metric]");
  if (metrics.length === 0 || !window.fetch) return;
  var status = document.getElementById("live-status");
  function show(data) {
    metrics.forEach(function (element) {
      var value = data[element.getAttribute("data-metric")];
      element.textContent = value === null || value === undefined ? "–" : String(value);
    });
  }
  function refresh() {
    if (document.hidden) return;
    fetch("/overview.json", { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (status) status.classList.remove("stale");
      })
      .catch(function () {
        if (status) status.classList.add("stale");
      });
  }
  setInterval(refresh, 5000);
})();
