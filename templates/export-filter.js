// The issue list of `issuelog export --format html`: a filter by text, severity and status, and
// pages of issues. Without JavaScript the box stays hidden and the <noscript> blocks show every
// issue. With it, those blocks are left as text (a browser parses ten thousand articles slowly),
// and this script makes elements of the index rows and articles of one page of the issues that
// match at a time, more on request. A link to an issue not on the page shows it above the list.
(function () {
  "use strict";
  var PAGE = 100;
  var form = document.getElementById("filter");
  var text = document.getElementById("filter-text");
  var severity = document.getElementById("filter-severity");
  var status = document.getElementById("filter-status");
  var count = document.getElementById("filter-count");
  var more = document.getElementById("more");
  var index = document.getElementById("index");
  var groups = Array.prototype.slice.call(document.querySelectorAll("#articles > noscript"));
  var source = index ? index.querySelector("noscript").textContent : "";
  var first = source.indexOf("<tr data-issue=");
  var last = source.lastIndexOf("</tbody>");
  var head = first < 0 ? "" : source.slice(0, first);
  var tail = first < 0 ? "" : source.slice(last);
  var rows = first < 0 ? [] : source.slice(first, last).split(/(?=<tr data-issue=")/);
  var attributes = /^<tr data-issue="([^"]*)" data-severity="([^"]*)" data-status="([^"]*)"/;
  var fields = rows.map(function (row) { return attributes.exec(row); });
  var positions = {};
  fields.forEach(function (found, position) { positions[found[1]] = position; });
  var parsed = [];
  var perGroup = 0;
  var haystacks = null;
  var matches = [];
  var shown = 0;
  var view = document.createElement("div");
  var focused = document.createElement("div");
  var list = document.createElement("div");
  if (index) {
    index.appendChild(view);
  }
  document.getElementById("articles").appendChild(focused);
  document.getElementById("articles").appendChild(list);

  // The page's own escaping (markupsafe's), so that values compare as the attributes hold them.
  function escaped(value) {
    return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;").replace(/'/g, "&#39;");
  }

  function articlesOf(group) {
    if (!parsed[group]) {
      parsed[group] = groups[group].textContent.split(/(?=<article\s)/)
        .filter(function (part) { return part.lastIndexOf("<article", 0) === 0; });
    }
    return parsed[group];
  }

  function article(position) {
    perGroup = perGroup || articlesOf(0).length;
    return articlesOf(Math.floor(position / perGroup))[position % perGroup];
  }

  // Each issue's text as the reader sees it, in lower case: made once, on the first search.
  function haystack(position) {
    if (!haystacks) {
      haystacks = [];
    }
    if (haystacks[position] === undefined) {
      haystacks[position] = article(position).replace(/<[^>]*>/g, " ")
        .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#34;|&quot;/g, "\"")
        .replace(/&#39;/g, "'").replace(/&amp;/g, "&").toLowerCase();
    }
    return haystacks[position];
  }

  function add(from, to) {
    var rowParts = [];
    var articleParts = [];
    for (var k = from; k < to; k += 1) {
      rowParts.push(rows[matches[k]]);
      articleParts.push(article(matches[k]));
    }
    if (from === 0) {
      view.innerHTML = rows.length ? head + rowParts.join("") + tail : "";
      list.innerHTML = articleParts.join("");
    } else {
      view.querySelector("tbody").insertAdjacentHTML("beforeend", rowParts.join(""));
      list.insertAdjacentHTML("beforeend", articleParts.join(""));
    }
    shown = to;
    count.textContent = shown === matches.length
      ? shown + " of " + rows.length + " shown"
      : shown + " of " + matches.length + " matching shown (" + rows.length + " issues)";
    more.hidden = shown >= matches.length;
  }

  function apply() {
    var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wantSeverity = severity.value && escaped(severity.value);
    var wantStatus = status.value && escaped(status.value);
    matches = [];
    fields.forEach(function (found, position) {
      if ((!wantSeverity || found[2] === wantSeverity) && (!wantStatus || found[3] === wantStatus)
          && words.every(function (word) { return haystack(position).indexOf(word) !== -1; })) {
        matches.push(position);
      }
    });
    focused.innerHTML = "";
    add(0, Math.min(PAGE, matches.length));
  }

  function reveal() {
    var id = escaped(decodeURIComponent(window.location.hash.slice(1)));
    if (!id || !(id in positions) || document.getElementById(id)) {
      return;
    }
    focused.innerHTML = article(positions[id]);
    focused.firstChild.scrollIntoView();
  }

  // A link such as page.html?severity=critical&q=login opens with the filter already set.
  var params = new URLSearchParams(window.location.search);
  text.value = params.get("q") || "";
  severity.value = params.get("severity") || "";
  status.value = params.get("status") || "";
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  more.querySelector("button").addEventListener("click", function () {
    add(shown, Math.min(shown + PAGE, matches.length));
  });
  window.addEventListener("hashchange", reveal);
  form.hidden = false;
  apply();
  reveal();
}());
