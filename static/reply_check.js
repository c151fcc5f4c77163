/* The case page's reply check, in the page: "Preview the reply" shows the exact text the
   reporter will read (as text, never as HTML) with its own send button, so sending is one
   request. Without this script the same button opens the preview page instead. */
"use strict";
(function () {
  // What the server stores (intake.services.triage.check_text): Windows line breaks made
  // plain, and the blanks Python's str.strip() removes taken off both ends.
  var BLANKS = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+";
  var EDGES = new RegExp("^" + BLANKS + "|" + BLANKS + "$", "g");
  var form = document.getElementById("reply-form");
  var box = document.getElementById("reply-text");
  var check = document.getElementById("reply-check");
  var title = document.getElementById("reply-check-title");
  var shown = document.getElementById("reply-check-text");
  var carried = document.getElementById("reply-check-carried");
  var change = document.getElementById("reply-check-change");
  if (!form || !box || !check || !title || !shown || !carried || !change) { return; }
  var max = parseInt(box.getAttribute("maxlength"), 10) || 20000;

  function stored(text) {
    return text.replace(/\r\n/g, "\n").replace(EDGES, "");
  }
  function close() {
    check.hidden = true;
    shown.textContent = "";
    carried.value = "";
  }
  form.addEventListener("submit", function (event) {
    var text = stored(box.value);
    // Empty or too long: the server's preview answers with its translated message.
    if (!text || Array.from(text).length > max) { return; }
    event.preventDefault();
    shown.textContent = text;
    carried.value = text;
    check.hidden = false;
    title.focus();
  });
  // A changed draft is not the checked text any more: check it again before sending.
  box.addEventListener("input", function () { if (!check.hidden) { close(); } });
  change.addEventListener("click", function () { close(); box.focus(); });
}());
