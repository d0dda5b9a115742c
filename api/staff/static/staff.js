/* The staff dashboard's one script (no inline script: the CSP forbids it).
   - [data-refresh]: the element's content is reloaded from that URL every data-every
     seconds (10 by default) while the page is visible; a region with data-announce tells
     screen readers, through that live region, when its content changed.
   - .saved-reply buttons put their text into the reply box (data-target), focused.
   - table[data-chart]: drawn as a chart (Chart.js, vendored) on the canvas named by
     data-canvas, from the table itself: the first column labels, one series per other
     column. The table stays on the page: it is the chart's text for screen readers and
     for printing. */
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

  // Dark enough for 3:1 against white (WCAG 1.4.11), and told apart by more than hue.
  var COLOURS = ["#0b4f9c", "#c45500", "#2e7d32", "#6a1b9a", "#8a1111", "#00616b"];

  function number(cell) {
    var value = parseFloat(cell.textContent.replace(/[^0-9.\-]/g, ""));
    return isNaN(value) ? 0 : value;
  }

  function drawChart(table) {
    var canvas = document.getElementById(table.getAttribute("data-canvas"));
    if (!canvas || typeof window.Chart === "undefined") { return; }
    var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent; });
    var rows = Array.prototype.filter.call(table.querySelectorAll("tbody tr"), function (tr) { return tr.querySelector("th"); });
    if (!rows.length) { canvas.parentNode.hidden = true; return; }
    var labels = rows.map(function (tr) { return tr.querySelector("th").textContent; });
    var stacked = table.getAttribute("data-chart") === "stacked";
    var datasets = headings.slice(1).map(function (heading, index) {
      return {
        label: heading,
        data: rows.map(function (tr) { return number(tr.querySelectorAll("td")[index]); }),
        backgroundColor: COLOURS[index % COLOURS.length],
        borderColor: "#1b1b1b",
        borderWidth: 1
      };
    });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: labels.length > 8 ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: { stacked: stacked, ticks: { color: "#1b1b1b" } },
                  y: { stacked: stacked, beginAtZero: true, ticks: { color: "#1b1b1b", precision: 0 } } }
      }
    });
  }

  document.querySelectorAll("[data-refresh]").forEach(refresh);
  document.querySelectorAll("table[data-chart]").forEach(drawChart);
  savedReplies();
}());
