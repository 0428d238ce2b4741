// Links in our e-mails carry their token after "#". Browsers never send that part of an
// address to a server, so the token stays out of access logs, proxy logs and Referer headers.
// This moves it into the page's form, which sends it in a POST body. Without this script the
// reader pastes it by hand.
(function () {
  "use strict";
  var form = document.querySelector("form[data-link-token-form]");
  var token = window.location.hash.slice(1);
  if (!form || !token) {
    return;
  }
  var field = form.querySelector("input[name='token']");
  if (!field) {
    return;
  }
  field.value = token;
  // Out of the address bar too, so that it is not bookmarked or shared by accident.
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  if (form.hasAttribute("data-auto-submit")) {
    // Opening the link only shows the next form; nothing changes until the reader acts.
    // (form.submit may be shadowed by a field named "submit": call the method itself.)
    HTMLFormElement.prototype.submit.call(form);
    return;
  }
  var wrapper = field.closest(".field");
  if (wrapper) {
    wrapper.hidden = true;
  }
})();
