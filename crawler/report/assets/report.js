/* govhealth report: sort tables by a header click, filter the overview by level, verdict and text.
   No network, no eval, no innerHTML: texts come from crawled sites and stay text. */
(function () {
  "use strict";

  function cellValue(row, index, type) {
    var cell = row.cells[index];
    if (!cell) { return type === "num" ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (type === "num") {
      var value = parseFloat(raw);
      return isNaN(value) ? -Infinity : value;
    }
    return raw;
  }

  function sortBy(table, header) {
    var index = Array.prototype.indexOf.call(header.parentNode.cells, header);
    var type = header.getAttribute("data-type") || "text";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(header.parentNode.cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type), y = cellValue(b, index, type);
      var order = type === "num" ? x - y : String(x).localeCompare(String(y), "zh-CN");
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      header.addEventListener("click", function () { sortBy(table, header); });
    });
  });

  var sites = document.getElementById("sites");
  if (!sites) { return; }
  var level = document.getElementById("f-level");
  var verdict = document.getElementById("f-verdict");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");

  function applyFilters() {
    var rows = sites.tBodies[0].rows, shown = 0, needle = text.value.trim().toLowerCase();
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var ok = (!level.value || row.getAttribute("data-level") === level.value) &&
        (!verdict.value || row.getAttribute("data-verdict") === verdict.value) &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.classList.toggle("hidden", !ok);
      if (ok) { shown++; }
    }
    count.textContent = shown + " / " + rows.length;
  }

  [level, verdict].forEach(function (el) { el.addEventListener("change", applyFilters); });
  text.addEventListener("input", applyFilters);
  document.getElementById("filters").addEventListener("submit", function (event) { event.preventDefault(); });
})();
