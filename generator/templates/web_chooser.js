(function () {
  "use strict";
  var box = document.getElementById("filter-box");
  var input = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var items = Array.prototype.slice.call(document.querySelectorAll("li[data-search]"));
  function norm(text) { return (text || "").toLowerCase().normalize("NFKC"); }
  function apply() {
    var terms = norm(input.value).split(/\s+/).filter(Boolean);
    var count = 0;
    items.forEach(function (item) {
      var text = norm(item.getAttribute("data-search"));
      var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
      item.hidden = !match;
      if (match) { count += 1; }
    });
    shown.textContent = terms.length ? count + " shown" : "";
  }
  box.hidden = false;
  input.addEventListener("input", apply);
})();
