// Sort a table by a column when its header is clicked; numbers ("$1.2M", "-3.4 %", "12,000")
// by value, anything else as text. Without JavaScript the tables stay plain tables.
(function () {
  var SCALE = { k: 1e3, K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
  function value(text) {
    var m = text.replace(/[\u2212\u2013]/g, "-").replace(/,/g, "")
      .match(/^[^\d.+-]{0,4}([+-]?)[^\d.]{0,4}(\d*\.?\d+)\s*([kKMBT]?)\b/);
    return m ? (m[1] === "-" ? -1 : 1) * parseFloat(m[2]) * (SCALE[m[3]] || 1) : null;
  }
  function sortBy(table, column, th) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var descending = th.getAttribute("aria-sort") === "ascending";
    var keys = rows.map(function (row) {
      var text = row.cells[column] ? row.cells[column].textContent.trim() : "";
      return { row: row, text: text, num: value(text) };
    });
    var numeric = keys.filter(function (k) { return k.num !== null; }).length * 2 > keys.length;
    keys.sort(function (a, b) {
      var d = numeric ? (a.num === null) - (b.num === null) || (a.num || 0) - (b.num || 0)
                      : a.text.localeCompare(b.text, undefined, { numeric: true });
      return descending ? -d : d;
    });
    keys.forEach(function (k) { body.appendChild(k.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, column, th); });
    });
  });
})();
