/* Small enhancements; every page works without this file. */
(function () {
  "use strict";
  // Move focus to the error summary so screen-reader users hear what went wrong.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
  // Announce htmx updates that carry a message in the polite live region.
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.target.querySelector("[data-announce]");
    var live = document.getElementById("live-region");
    if (source && live) { live.textContent = source.getAttribute("data-announce"); }
  });
})();
