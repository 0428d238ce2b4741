// The accountability report page: while the worker prepares the report, ask its small JSON
// status every two seconds and move the progress bar; when it is done show the download link,
// when it failed the reason and the retry button. Without this script the page works the
// same through its "Refresh" link.
(function () {
  "use strict";
  var root = document.querySelector("[data-report-progress]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-status-url");
  var part = function (name) {
    return root.querySelector("[data-report-" + name + "]");
  };
  var show = function (status) {
    part("label").textContent = status.label;
    part("bar").value = status.progress;
    part("bar").textContent = status.progress + " %";
    part("percent").textContent = status.progress;
    part("running").hidden = status.finished;
    part("done").hidden = status.status !== "done";
    part("failed").hidden = status.status !== "failed";
    if (status.download_url) {
      part("download").setAttribute("href", status.download_url);
      part("sha").textContent = status.sha256;
    }
    if (status.error) {
      part("error").textContent = status.error;
    }
  };
  var poll = function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (!status.finished) {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        // The refresh link still works; try again a little later.
        window.setTimeout(poll, 5000);
      });
  };
  if (part("running") && !part("running").hidden) {
    part("refresh").hidden = true;
    window.setTimeout(poll, 1000);
  }
})();
