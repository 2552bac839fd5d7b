// Dashboard: each day's p95 bar gets its width from data-bar-rem. Set here rather than in a style="" attribute,
// which the Content-Security-Policy (style-src 'self', no inline styles) would block.
(function () {
  "use strict";

  document.querySelectorAll("[data-bar-rem]").forEach(function (bar) {
    var rem = parseFloat(bar.getAttribute("data-bar-rem"));
    if (isFinite(rem) && rem > 0) {
      bar.style.width = rem + "rem";
    }
  });
})();
