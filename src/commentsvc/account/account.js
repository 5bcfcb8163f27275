// The pages an account e-mail's link opens: a new password (/account/reset), an address confirmed
// (/account/verify). The token stays in the page's URL; only the button's click spends it (mail
// scanners follow links, they do not click). No framework, no inline code.
"use strict";
(function () {
  var WORDS = {
    fr: {
      resetTitle: "Choisir un nouveau mot de passe", newPassword: "Nouveau mot de passe (10 caractères au moins)",
      show: "Afficher le mot de passe", resetSubmit: "Enregistrer le mot de passe",
      resetDone: "Votre mot de passe est changé : connectez-vous avec lui. Vos autres sessions ont été fermées.",
      forgotIntro: "Indiquez l'adresse e-mail de votre compte : nous y enverrons un lien pour choisir un nouveau mot de passe.",
      email: "Adresse e-mail", forgotSubmit: "Recevoir un lien",
      forgotDone: "Si un compte existe pour cette adresse, un e-mail vient d'être envoyé.",
      verifyTitle: "Confirmer votre adresse e-mail", verifyIntro: "Confirmez que cette adresse est bien la vôtre.",
      verifySubmit: "Confirmer", verifyDone: "Votre adresse e-mail est confirmée. Vous pouvez fermer cette page.",
      noToken: "Ce lien est incomplet : ouvrez celui de l'e-mail tel quel.",
      resetBadLink: "Ce lien n'est plus valable (déjà utilisé, ou expiré). Demandez-en un nouveau :",
      verifyBadLink: "Ce lien n'est plus valable (déjà utilisé, ou expiré). Pour en recevoir un nouveau, connectez-vous dans l'espace commentaires et choisissez « Renvoyer l'e-mail ».",
      taken: "Cette adresse est déjà celle d'un autre compte.",
      common_password: "Ce mot de passe est trop courant : choisissez-en un autre.",
      password: "Le mot de passe compte de 10 à 256 caractères.",
      rate_limited: "Trop de demandes en peu de temps : réessayez plus tard.",
      offline: "Le réseau ne répond pas : réessayez.", failed: "La demande a échoué : réessayez plus tard.",
    },
    en: {
      resetTitle: "Choose a new password", newPassword: "New password (at least 10 characters)",
      show: "Show the password", resetSubmit: "Save the password",
      resetDone: "Your password is changed: sign in with it. Your other sessions were signed out.",
      forgotIntro: "Enter your account's e-mail address: we will send a link there to choose a new password.",
      email: "E-mail address", forgotSubmit: "Send me a link",
      forgotDone: "If an account exists for this address, an e-mail is on its way.",
      verifyTitle: "Confirm your e-mail address", verifyIntro: "Confirm that this address is yours.",
      verifySubmit: "Confirm", verifyDone: "Your e-mail address is confirmed. You may close this page.",
      noToken: "This link is incomplete: open the one in the e-mail as it is.",
      resetBadLink: "This link is no longer valid (used already, or expired). Ask for a new one:",
      verifyBadLink: "This link is no longer valid (used already, or expired). To get a new one, sign in where you comment and choose “Send the e-mail again”.",
      taken: "This address is already another account's.",
      common_password: "This password is too common: choose another.",
      password: "A password is 10 to 256 characters long.",
      rate_limited: "Too many requests in a short time: try again later.",
      offline: "The network is not answering: try again.", failed: "The request failed: try again later.",
    },
  };
  var lang = document.documentElement.lang === "en" ? "en" : "fr", t = WORDS[lang];
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
