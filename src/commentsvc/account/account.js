// The pages an account e-mail's link opens: a new password (/account/reset), an address confirmed
// (/account/verify). The token stays in the page's URL; only the button's click spends it (mail
// scanners follow links, they do not click). No framework, no inline code.
"use strict";
(function () {
  // The page's words, in its language: the service writes them into the page (i18n/account/).
  var t = JSON.parse(document.getElementById("words").textContent);
  var page = document.body.dataset.page, query = new URLSearchParams(location.search), token = query.get("token");
  var status = document.getElementById("status");
  document.querySelectorAll("[data-t]").forEach(function (e) { e.textContent = t[e.dataset.t]; });
  document.title = t[page + "Title"];

  function show(text, error) { status.textContent = text; status.className = error ? "error" : ""; }
  function send(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        if (r.ok) return null;
        return r.json().catch(function () { return {}; }).then(function (data) { data.status_code = r.status; throw data; });
      }, function () { throw { offline: true }; });
  }
  // The page's sentence for a refusal: the link spent or expired, else what the service named.
  function refusal(err) {
    if (err.offline) return t.offline;
    if (err.reason === "bad_link") return t[page + "BadLink"];
    if (err.reason === "taken" || err.reason === "common_password") return t[err.reason];
    if (err.field === "password") return t.password;
    if (err.status_code === 429) return t.rate_limited;
    return t.failed;
  }
  // A form whose button is held while its request runs; `done` says what came of it.
  function wire(form, submit) {
    form.hidden = false;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true; show("");
      submit(form).then(function () { button.disabled = false; }, function (err) {
        button.disabled = false; show(refusal(err), true);
        if (err.reason === "bad_link" && page === "reset") forgot();
      });
    });
  }
  function forgot() {
    var form = document.getElementById("forgot");
    if (!form.hidden) return;
    document.getElementById("reset").hidden = true;
    wire(form, function (f) {
      return send("/api/v1/auth/password/forgot", { email: f.elements.email.value }).then(function () { f.hidden = true; show(t.forgotDone); });
    });
  }

  if (page === "reset") {
    if (!token) { forgot(); return; }
    var reset = document.getElementById("reset"), input = reset.elements.password;
    reset.elements.show.addEventListener("change", function (e) { input.type = e.target.checked ? "text" : "password"; });
    wire(reset, function (f) {
      return send("/api/v1/auth/password/reset", { token: token, password: input.value }).then(function () { f.hidden = true; show(t.resetDone); });
    });
    input.focus();
  } else {
    if (!token) { show(t.noToken, true); return; }
    wire(document.getElementById("verify"), function (f) {
      return send("/api/v1/auth/email/verify", { token: token }).then(function () { f.hidden = true; show(t.verifyDone); });
    });
  }
})();
