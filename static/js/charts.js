// Draws every element with data-chart="<id of a json_script holding a Plotly figure>".
// A point whose customdata is a URL path ("/p/acme/traces/?feature=…") is a link to the calls
// behind it: clicking the point opens that URL (finops.charts puts it there).
(function () {
  "use strict";
  function linkOf(point) {
    var data = point && point.customdata;
    if (Array.isArray(data)) { data = data[0]; }
    return typeof data === "string" && data.charAt(0) === "/" ? data : null;
  }
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) { return; }
      var fig = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout, {
        responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"]
      }).then(function () {
        el.on("plotly_click", function (event) {
          var url = linkOf(event.points && event.points[0]);
          if (url) { window.location.assign(url); }
        });
        el.dataset.drawn = "true";
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
