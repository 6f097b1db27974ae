/* Small enhancements; every page works without this file. */
(function () {
  "use strict";
  function markAnnounced() {
    document.querySelectorAll("[data-announce]:not([data-announced])").forEach(function (el) {
      el.setAttribute("data-announced", "");
    });
  }
  function markFocused() {
    document.querySelectorAll("[data-autofocus]").forEach(function (el) {
      el.setAttribute("data-focused", "");
    });
  }
  // A data table wider than a narrow screen scrolls inside itself (hub.css): keyboard users
  // reach it with Tab to scroll it with the arrow keys.
  function focusableScrollers() {
    document.querySelectorAll("main table, .table-wrapper, .table-scroll").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        if (!el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "0"); el.setAttribute("data-scroller", ""); }
      } else if (el.hasAttribute("data-scroller")) {
        el.removeAttribute("tabindex"); el.removeAttribute("data-scroller");
      }
    });
  }
  window.addEventListener("resize", focusableScrollers);
  document.addEventListener("htmx:afterSettle", focusableScrollers);
  document.addEventListener("DOMContentLoaded", focusableScrollers);
  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen-reader users hear what went wrong.
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
    markAnnounced();  // what the page said on load is not news
    markFocused();
  });
  // After an htmx swap, say the newest message aloud in the polite live region. The swapped
  // element may have replaced the event's target (outerHTML), so look in the whole document.
  document.addEventListener("htmx:afterSettle", function (event) {
    var fresh = document.querySelectorAll("[data-announce]:not([data-announced])");
    var live = document.getElementById("live-region");
    if (live && fresh.length) {
      live.textContent = fresh[fresh.length - 1].getAttribute("data-announce");
    }
    markAnnounced();
    // Focus goes to the result the update announces (data-autofocus) or, when the focused
    // control was swapped away, back to the updated region: never lost on the page's body.
    var results = document.querySelectorAll("[data-autofocus]:not([data-focused])");
    var active = document.activeElement;
    var target = null;
    if (results.length) {
      target = results[results.length - 1];
    } else if (!active || active === document.body || !document.body.contains(active)) {
      var id = event.detail && event.detail.target && event.detail.target.id;
      target = id ? document.getElementById(id) : null;
      if (target && !target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    }
    markFocused();
    if (target) { target.focus(); }
  });
})();
