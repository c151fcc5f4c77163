/* Quick exit: leave without a Back-button trail. The plain link works without this. */
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.exit") : null;
  if (!link) { return; }
  event.preventDefault();
  try { history.replaceState(null, "", "/"); } catch (ignored) { /* old browser */ }
  window.location.replace(link.href);
});
