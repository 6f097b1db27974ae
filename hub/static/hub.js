/* Small enhancements; every page works without this file. */
(function () {
  "use strict";
  function markAnnounced() {
    document.querySelectorAll("[data-announce]:not([data-announced])").forEach(function (el) {
      el.setAttribute("data-announced", "");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen-reader users hear what went wrong.
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    markAnnounced();  // what the page said on load is not news
  });
  // After an htmx swap, say the newest message aloud in the polite live region. The swapped
  // element may have replaced the event's target (outerHTML), so look in the whole document.
  document.addEventListener("htmx:afterSettle", function () {
    var fresh = document.querySelectorAll("[data-announce]:not([data-announced])");
    var live = document.getElementById("live-region");
    if (live && fresh.length) {
      live.textContent = fresh[fresh.length - 1].getAttribute("data-announce");
    }
    markAnnounced();
  });
})();
