// Zoom and pan for the dependency graph: the buttons scale the SVG, the
// figure scrolls, and a drag scrolls it. Plain DOM, no network. The graph
// starts fitted to the page width, but never so small that names cannot
// be read; past that it scrolls.
(function () {
  var fig = document.querySelector("figure.pan");
  var svg = fig && fig.querySelector("svg");
  if (!svg) { return; }
  var w0 = svg.width.baseVal.value, h0 = svg.height.baseVal.value;
  var minReadable = 0.6, scale = 1;
  function set(s) {
    scale = Math.min(4, Math.max(0.2, s));
    svg.setAttribute("width", Math.round(w0 * scale));
    svg.setAttribute("height", Math.round(h0 * scale));
  }
  function fit() { return Math.min(1, (fig.clientWidth - 4) / w0); }
  set(Math.max(fit(), minReadable));
  document.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var z = b.getAttribute("data-zoom");
      set(z === "in" ? scale * 1.25 : z === "out" ? scale / 1.25 : z === "fit" ? fit() : 1);
    });
  });
  var drag = null, moved = false;
  fig.addEventListener("mousedown", function (e) {
    drag = { x: e.clientX, y: e.clientY, left: fig.scrollLeft, top: fig.scrollTop };
    moved = false;
  });
  window.addEventListener("mousemove", function (e) {
    if (!drag) { return; }
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) { moved = true; fig.classList.add("dragging"); }
    fig.scrollLeft = drag.left - dx;
    fig.scrollTop = drag.top - dy;
  });
  window.addEventListener("mouseup", function () { drag = null; fig.classList.remove("dragging"); });
  // A drag that ends on a node is a pan, not a click on its link.
  fig.addEventListener("click", function (e) { if (moved) { e.preventDefault(); moved = false; } }, true);
})();
