// The console inside the Shopify admin has no cookie session (a third-party frame): every link
// followed and every form sent carries a fresh App Bridge session token (id_token), and the
// shop/host values App Bridge reads from the URL. Fetches get the token from App Bridge itself
// (it adds the Authorization header to requests to this app).
(function () {
  "use strict";
  if (!window.shopify || !window.shopify.idToken) { return; }
  var carried = ["shop", "host", "embedded"];
  var here = new URLSearchParams(window.location.search);

  function signed(url, token) {
    var target = new URL(url, window.location.href);
    carried.forEach(function (name) {
      if (here.get(name)) { target.searchParams.set(name, here.get(name)); }
    });
    target.searchParams.set("id_token", token);
    return target.toString();
  }

  function hidden(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link || link.origin !== window.location.origin || link.target || event.defaultPrevented ||
        event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    event.preventDefault();
    window.shopify.idToken().then(function (token) {
      window.location.assign(signed(link.href, token));
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    window.shopify.idToken().then(function (token) {
      if (form.method.toLowerCase() === "get") {
        carried.forEach(function (name) { if (here.get(name)) { hidden(form, name, here.get(name)); } });
        hidden(form, "id_token", token);
      } else {
        form.action = signed(form.action, token);
      }
      form.submit();  // does not fire "submit" again
    });
  });
}());
