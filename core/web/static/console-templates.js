// Live SMS preview on the templates page: the server renders and measures the text (the same
// code that sends it), so the counter shown is the one that will be billed. Progressive: the
// page works without this script; the counter then updates when the form is saved.
(function () {
  "use strict";
  var area = document.getElementById("sms");
  if (!area) { return; }
  var form = document.getElementById("templates-form");
  var token = form.querySelector("input[name=csrf_token]").value;
  var locale = form.querySelector("input[name=locale]").value;
  var meter = function (name) { return document.querySelector("[data-meter=" + name + "]"); };
  var pending = null;
  function refresh() {
    fetch(area.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ text: area.value, locale: locale })
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      var error = meter("error");
      if (answer.error) {
        error.textContent = answer.error;
        error.hidden = false;
        return;
      }
      error.hidden = true;
      ["units", "segments", "segments_word", "encoding", "cost", "preview"].forEach(function (name) {
        meter(name).textContent = answer[name];
      });
    });
  }
  area.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(refresh, 250);
  });
}());
