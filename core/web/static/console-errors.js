// After a failed submit the page opens on a summary of what to correct: one link per field in
// error (its label and its message), and the focus on the summary, so a keyboard or screen
// reader user starts there instead of at the top of the page. The errors also stay next to
// their fields (aria-invalid, aria-describedby); without this script the summary's heading
// still says what happened.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) { return; }
  var list = summary.querySelector("ul");
  document.querySelectorAll(".field.invalid").forEach(function (field) {
    var label = field.querySelector("label, legend");
    field.querySelectorAll(".error").forEach(function (error) {
      var link = document.createElement("a");
      var target = label && label.htmlFor ? label.htmlFor : "";
      link.href = "#" + target;
      link.textContent = (label ? label.textContent.trim() + summary.dataset.colon : "") +
        error.textContent.trim();
      var item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
  });
  if (!list.children.length) { summary.remove(); return; }
  summary.focus();
}());
