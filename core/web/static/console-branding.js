// Live colour preview on the branding page: the preview follows the colour picker before the
// form is saved; the text colour follows the rule of core/branding.py (white where it meets
// WCAG AA 4.5:1, else whichever contrasts more), and the warnings come from the server on save.
(function () {
  "use strict";
  var picker = document.getElementById("brand_color");
  if (!picker) { return; }
  var swatches = document.querySelectorAll(".preview-brand");
  function luminance(hex) {
    var linear = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function textOn(background) {
    if (contrast(background, "#ffffff") >= 4.5) { return "#ffffff"; }
    return contrast(background, "#ffffff") >= contrast(background, "#111111") ? "#ffffff" : "#111111";
  }
  function follow() {
    if (!/^#[0-9a-fA-F]{6}$/.test(picker.value)) { return; }
    swatches.forEach(function (swatch) {
      swatch.style.background = picker.value;
      swatch.style.color = textOn(picker.value);
    });
  }
  picker.addEventListener("input", follow);
  picker.addEventListener("change", follow);
  // A colour chosen before this deferred script ran (a quick hand, or a browser restoring the
  // form) fired its events with nobody listening: show it now.
  follow();
}());
