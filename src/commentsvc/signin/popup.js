// The sign-in popup's last page: hands a sign-in to the widget's frame that opened it (postMessage to the
// service's own origin only, so no other window can read the tokens), or asks the reader to
// confirm linking an identity to their account, or says in their language why it was refused.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("outcome").textContent);
  var lang = document.documentElement.lang;
  // The widget's catalogue in the page's language (loaded first): its popup words and refusals.
  var TEXT = MESSAGES[lang].popup, E = MESSAGES[lang].errors;
  var title = document.getElementById("title"), message = document.getElementById("message");
  var actions = document.getElementById("actions");

  function show(heading, text, alert) {
    document.title = heading;
    title.textContent = heading;
    message.textContent = text;
    message.setAttribute("role", alert ? "alert" : "status");
    actions.replaceChildren();
  }
  function refused(reason) { show(TEXT.refused, E[reason] || E["4xx"], true); }
  function tell(message) {
    // Only a window on the service's own origin (the widget's frame) can receive it.
    if (!window.opener) return false;
    window.opener.postMessage(message, data.origin);
    return true;
  }
  function button(label, onclick) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.addEventListener("click", onclick);
    return b;
  }
  function link() {
    actions.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch("/api/v1/auth/oidc/link", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token: data.token })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) return refused(body.reason);
        show(TEXT.linked, TEXT.closing);
        if (tell({ type: "commentsvc:linked", provider: body.provider })) window.close();
      });
    }, function () { refused("5xx"); });
  }

  if (data.outcome === "signed_in") {
    show(TEXT.signedIn, TEXT.closing);
    if (tell({ type: "commentsvc:signed-in", auth: data.auth })) window.close();
    else message.textContent = TEXT.noOpener;
  } else if (data.outcome === "confirm") {
    show(TEXT.linkTitle, fillIn(TEXT.linkQuestion, { provider: data.provider, email: data.email || "—", username: data.username }));
    actions.append(button(TEXT.confirm, link), button(TEXT.cancel, function () {
      show(TEXT.linkTitle, TEXT.cancelled);
      window.close();
    }));
    actions.querySelector("button").focus();
  } else {
    refused(data.reason);
  }
})();
