/* Security keys: hand the server's options to the browser's WebAuthn call and post the
   signed answer back in the form. The review app's own script; no other code runs. */
"use strict";
(function () {
  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function listIds(list) {
    (list || []).forEach(function (item) { item.id = toBytes(item.id); });
  }
  function prepare(mode, options) {
    var o = options.publicKey;
    o.challenge = toBytes(o.challenge);
    if (mode === "create") { o.user.id = toBytes(o.user.id); listIds(o.excludeCredentials); }
    else { listIds(o.allowCredentials); }
    return o;
  }
  function encode(credential) {
    var r = credential.response, out = {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      response: { clientDataJSON: toText(r.clientDataJSON) },
      clientExtensionResults: credential.getClientExtensionResults()
    };
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      if (r.userHandle) { out.response.userHandle = toText(r.userHandle); }
    }
    return out;
  }
  function setUp(form) {
    var mode = form.getAttribute("data-webauthn");
    var status = form.querySelector("[data-webauthn-status]");
    function say(text) { status.textContent = text; status.hidden = false; }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form.getAttribute("data-unsupported"));
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (mode === "create" && !form.reportValidity()) { return; }
      var publicKey = prepare(mode, JSON.parse(form.getAttribute("data-options")));
      var call = mode === "create" ? navigator.credentials.create({ publicKey: publicKey })
                                   : navigator.credentials.get({ publicKey: publicKey });
      call.then(function (credential) {
        form.querySelector("input[name=credential]").value = JSON.stringify(encode(credential));
        form.submit();
      }, function () { say(form.getAttribute("data-failed")); });
    });
  }
  document.querySelectorAll("form[data-webauthn]").forEach(setUp);
})();
