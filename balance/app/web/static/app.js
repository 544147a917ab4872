// balance web app: small progressive enhancements (every page works without this file).
"use strict";
(function () {
  // Team page: filter the table as the coach types (the server also filters with ?q=).
  var search = document.getElementById("search");
  var table = document.getElementById("team-table");
  if (search && table) {
    var rows = table.querySelectorAll("tbody tr[data-athlete]");
    search.addEventListener("input", function () {
      // every word typed must occur in the code, name or group (as the server's ?q= does)
      var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      rows.forEach(function (tr) {
        var text = (tr.getAttribute("data-search") || tr.textContent).toLowerCase();
        tr.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
      });
    });
  }
})();
