// Checkout success page: Stripe redirects here right after payment, often before its webhook reaches us.
// Poll the billing status until the plan is active, then show it and refresh the banner in place.
// A late webhook or a network blip is never shown as an error: the page just keeps waiting, calmly.
(function () {
  "use strict";

  var root = document.querySelector("[data-billing-poll]");
  if (!root) {
    return;
  }
  var statusUrl = root.getAttribute("data-status-url");
  var pending = root.querySelector("[data-billing-pending]");
  var done = root.querySelector("[data-billing-done]");
  var slowNote = root.querySelector("[data-billing-slow]");
  var startedAt = Date.now();
  var SLOW_AFTER_MS = 20000;
  var MAX_DELAY_MS = 5000;
  var delayMs = 500;

  function updateBanner(banner) {
    var element = document.querySelector('[data-testid="billing-banner"]');
    if (!element || !banner) {
      return;
    }
    element.className = "banner banner-" + banner.level;
    element.setAttribute("data-state", banner.state);
    var text = element.querySelector("span");
    if (text) {
      text.textContent = banner.message;
    }
    var link = element.querySelector("a");
    if (banner.link_path) {
      if (!link) {
        link = document.createElement("a");
        element.appendChild(link);
      }
      link.setAttribute("href", banner.link_path);
      link.textContent = banner.link_text;
    } else if (link) {
      link.remove();
    }
  }

  function showActive() {
    root.setAttribute("data-state", "active");
    pending.hidden = true;
    done.hidden = false;
    document.title = "Plan active · NeverMissCall";
  }

  function scheduleNext() {
    if (slowNote && Date.now() - startedAt > SLOW_AFTER_MS) {
      slowNote.hidden = false;
    }
    delayMs = Math.min(Math.round(delayMs * 1.5), MAX_DELAY_MS);
    window.setTimeout(poll, delayMs);
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          // Signed out meanwhile: stop asking, the reassurance note tells the user what happens next.
          if (slowNote) {
            slowNote.hidden = false;
          }
          return null;
        }
        if (!response.ok) {
          throw new Error("billing status answered " + response.status);
        }
        return response.json().then(function (status) {
          root.setAttribute("data-state", status.state);
          updateBanner(status.banner);
          if (status.state === "active") {
            showActive();
          } else {
            scheduleNext();
          }
        });
      })
      .catch(function () {
        scheduleNext();
      });
  }

  if (root.getAttribute("data-state") !== "active") {
    window.setTimeout(poll, delayMs);
  }
})();
