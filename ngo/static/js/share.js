// The appeal page's "Copy link" button. Without this script the button stays hidden and the
// reader selects the address in the field beside it; with it, one click copies the address.
// Nothing is sent anywhere: the Clipboard API writes to the reader's own clipboard.
(function () {
  "use strict";
  var box = document.querySelector("[data-share-copy]");
  if (!box) {
    return;
  }
  var field = box.querySelector("input");
  var button = box.querySelector("button");
  var status = box.querySelector("[role='status']");
  if (!field || !button || !status) {
    return;
  }
  function copied() {
    status.textContent = button.getAttribute("data-copied") || "";
  }
  function selectField() {
    field.focus();
    field.select();
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(copied, selectField);
      return;
    }
    // No Clipboard API (a page served over plain http): select the address for the reader.
    selectField();
  });
  field.addEventListener("focus", function () {
    field.select();
  });
})();
