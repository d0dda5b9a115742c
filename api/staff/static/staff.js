/* The staff dashboard's one script (no inline script: the CSP forbids it).
   - [data-refresh]: the element's content is reloaded from that URL every data-every
     seconds (10 by default) while the page is visible; a region with data-announce tells
     screen readers, through that live region, when its content changed.
   - .saved-reply buttons put their text into the reply box (data-target), focused. */
(function () {
  "use strict";

  function refresh(region) {
    var url = region.getAttribute("data-refresh");
    var seconds = parseInt(region.getAttribute("data-every") || "10", 10);
    var last = region.innerHTML.trim();
    function tick() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.redirected || !response.ok) { throw new Error("refresh stopped"); }
          return response.text();
        })
        .then(function (html) {
          var fresh = html.trim();
          if (fresh === last) { return; }
          last = fresh;
          region.innerHTML = fresh;
          var announcer = document.getElementById(region.getAttribute("data-announce") || "");
          if (announcer) { announcer.textContent = region.getAttribute("data-announce-text") || ""; }
        })
        .catch(function () { window.clearInterval(timer); });
    }
    var timer = window.setInterval(tick, Math.max(seconds, 2) * 1000);
  }

  function savedReplies() {
    document.querySelectorAll(".saved-reply").forEach(function (button) {
      button.addEventListener("click", function () {
        var box = document.getElementById(button.getAttribute("data-target"));
        if (!box) { return; }
        box.value = button.getAttribute("data-text");
        box.focus();
      });
    });
  }

  document.querySelectorAll("[data-refresh]").forEach(refresh);
  savedReplies();
}());
