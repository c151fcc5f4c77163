// Optional live character count under the report text; the page works the same without it.
(function () {
  "use strict";
  var box = document.getElementById("what");
  var out = document.getElementById("what-count");
  if (!box || !out) { return; }
  var max = parseInt(out.getAttribute("data-max"), 10);
  function show() {
    var n = box.value.length;
    var template = out.getAttribute(n > max ? "data-over" : "data-under");
    out.textContent = template.replace("%(n)s", n.toLocaleString()).replace("%(max)s", max.toLocaleString());
    out.className = n > max ? "hint counter over" : "hint counter";
  }
  out.hidden = false;
  box.addEventListener("input", show);
  show();
}());
