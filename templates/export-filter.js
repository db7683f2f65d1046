// The filter box of `issuelog export --format html`: narrows the issues by text, severity and
// status. Without JavaScript the box stays hidden and every issue is shown.
(function () {
  "use strict";
  var form = document.getElementById("filter");
  var text = document.getElementById("filter-text");
  var severity = document.getElementById("filter-severity");
  var status = document.getElementById("filter-status");
  var count = document.getElementById("filter-count");
  var issues = Array.prototype.slice.call(document.querySelectorAll("article.issue"));
  var rows = {};
  Array.prototype.forEach.call(document.querySelectorAll("tr[data-issue]"), function (row) {
    rows[row.getAttribute("data-issue")] = row;
  });
  // A link such as page.html?severity=critical&q=login opens with the filter already set.
  var params = new URLSearchParams(window.location.search);
  text.value = params.get("q") || "";
  severity.value = params.get("severity") || "";
  status.value = params.get("status") || "";

  function apply() {
    var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    issues.forEach(function (issue) {
      var haystack = issue.textContent.toLowerCase();
      var visible = (!severity.value || issue.getAttribute("data-severity") === severity.value)
        && (!status.value || issue.getAttribute("data-status") === status.value)
        && words.every(function (word) { return haystack.indexOf(word) !== -1; });
      issue.hidden = !visible;
      if (rows[issue.id]) {
        rows[issue.id].hidden = !visible;
      }
      if (visible) {
        shown += 1;
      }
    });
    count.textContent = shown + " of " + issues.length + " shown";
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
}());
