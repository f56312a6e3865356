// Filters the runbook table by the selects and the search box. Plain DOM,
// no network: works from file:// and under any sub-path.
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.runbooks tbody tr"));
  var selects = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var search = document.querySelector("[data-search]");
  var shown = document.getElementById("shown");
  function apply() {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (tr) {
      var ok = selects.every(function (s) { return !s.value || tr.getAttribute("data-" + s.getAttribute("data-filter")) === s.value; });
      if (ok && q) { ok = tr.textContent.toLowerCase().indexOf(q) >= 0; }
      tr.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n + " of " + rows.length + " runbooks";
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  apply();
})();
