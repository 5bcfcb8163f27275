// The widget's forms: signing in and up, the signed-in reader's box, the text box and its
// preview, replies, edits, reports, appeals, a comment's versions, and the sentence of every
// refusal. The thread's script (widget.js) fetches this script and its words (the forms' part of
// the catalogue) when a reader first needs one of them, and hands FORMS what they use of its view.
"use strict";
var FORMS = function (w) {
  var app = w.app, cfg = w.cfg, lang = w.lang, t = w.t, E = t.errors, s = w.s, base = w.base;
  var el = w.el, $ = w.$, say = w.say, note = w.note, day = w.day, api = w.api, failed = w.failed, get = w.get, set = w.set;

  function unit(n, name) { return new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(n); }
  function wait(seconds) {
    if (seconds < 60) return unit(Math.max(seconds, 1), "second");
    return seconds < 3600 ? unit(Math.ceil(seconds / 60), "minute") : unit(Math.ceil(seconds / 3600), "hour");
  }
  // The reader's sentence for a refusal: by reason, else code and field, else code, else status class.
  function explain(err) {
    if (err.offline) return t.offline;
    var d = err.data, reason = d.reason === "banned" && !d.banned_until ? "banned_permanently" : d.reason;
    var sentence = E[reason] || E[d.code + "." + d.field] || E[d.code] || E[err.status >= 500 ? "5xx" : "4xx"];
    return fillIn(sentence, {
      until: d.banned_until && day(d.banned_until), why: d.ban_reason,
      minutes: d.edit_window_minutes && unit(d.edit_window_minutes, "minute"),
      wait: wait(err.retryAfter),
    });
  }

  // The browser checks what it can before sending, and says it with the widget's own sentence.
  function checked(input, field) {
    input.addEventListener("invalid", function () { input.setCustomValidity(E["invalid." + field]); });
    input.addEventListener("input", function () { input.setCustomValidity(""); });
    return input;
  }

  function draftKey(parentId) { return "csvc.draft." + cfg.site + "." + cfg.article + "." + (parentId || ""); }

  // A text box with its preview; `onCancel` (replies, edits) adds a Cancel button.
  function composer(parentId, initial, onDone, onCancel) {
    var key = initial == null ? draftKey(parentId) : null, box = el("div", { class: "status" });
    var area = checked(el("textarea", { name: "body", dir: "auto", rows: 4, maxlength: 10000, required: true, "aria-label": t.write, placeholder: t.write }), "body");
    area.value = initial != null ? initial : get(key) || "";
    var shown = el("div", { class: "body", dir: "auto" });
    var preview = el("div", { class: "preview", hidden: true }, [el("p", { class: "caption", text: t.previewTitle }), shown]);
    // A preview of another text than the box's would mislead: it goes as soon as the text changes.
    area.addEventListener("input", function () { if (key) set(key, area.value || null); preview.hidden = true; });
    var form = el("form", { class: "composer", onsubmit: function (e) {
      e.preventDefault(); note(box);
      onDone(area.value).then(function () {
        // Posted: the box is emptied (a second click would post it again) and the preview goes with it.
        preview.hidden = true; shown.replaceChildren();
        if (key) { set(key, null); area.value = ""; }
      }, failed(box));
    } }, [
      area, preview,
      el("div", { class: "row" }, [
        el("button", { type: "button", text: t.preview, onclick: function () {
          note(box);
          api("POST", "/api/v1/preview", { body: area.value }).then(function (r) {
            shown.innerHTML = r.body_html; preview.hidden = false; // sanitised by the service
          }, failed(box));
        } }),
        el("button", { type: "submit", class: "primary", text: initial != null ? t.save : t.publish }),
        onCancel ? el("button", { type: "button", text: t.cancel, onclick: function () { if (key) set(key, null); onCancel(); } }) : null,
      ]),
      box,
    ]);
    return form;
  }

  function newKey() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));  // randomUUID needs a secure context
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // After a change the thread is read again; the changed comment gets the focus and says what became of it.
  function reloadAt(id, message) {
    return w.load(true).then(function () {
      var n = app.querySelector("[data-id='" + id + "']");
      if (!n) return;
      n.focus(); note(n.querySelector(":scope > .status"), message);
    });
  }

  function post(parentId) {
    // The same text sent again (a double click, a retry after a timeout) carries the same
    // Idempotency-Key: the service answers with the comment it already made, not a second one.
    var sent = null;
    return function (text) {
      var body = { article: cfg.article, body: text, article_title: cfg.title || undefined, article_url: cfg.url || undefined };
      if (parentId) body.parent_id = parentId;
      if (!sent || sent.text !== text) sent = { text: text, key: newKey() };
      return api("POST", base + "/comments", body, { "Idempotency-Key": sent.key }).then(function (c) {
        sent = null;
        w.ownComment(c.id);
        var message = c.status === "approved" ? t.posted : t.held;
        say(message);
        return reloadAt(c.id, message);
      });
    };
  }

  function reply(c, node, actions, button) {
    var f = node.querySelector(":scope > form.composer");
    if (!f) {
      f = composer(c.id, null, post(c.id), function () { f.remove(); button.focus(); });
      actions.after(f);
    }
    f.querySelector("textarea").focus();
  }

  function edit(c, body, button) {
    if (button.hidden) return;  // already open
    var f = composer(c.id, c.body || "", function (text) {
      return api("PATCH", "/api/v1/comments/" + c.id, { body: text }).then(function (edited) {
        return reloadAt(c.id, edited.status === "pending" && c.status !== "pending" ? t.savedHeld : t.saved);
      });
    }, function () { f.replaceWith(body); button.hidden = false; button.focus(); });
    body.replaceWith(f); button.hidden = true; f.querySelector("textarea").focus();
  }

  // A reason chosen from the list; `reported` says how it went, and the thread marks the comment.
  function report(c, actions, box, button, reported) {
    var form = actions.parentNode.querySelector(":scope > form.report");
    if (form) { form.querySelector("select").focus(); return; }
    var select = el("select", { "aria-label": t.reason }, ["spam", "abuse", "off_topic", "other"].map(function (r) { return el("option", { value: r, text: t[r] }); }));
    var done = function (message) { form.remove(); reported(message); };
    form = el("form", { class: "row report", onsubmit: function (e) {
      e.preventDefault(); note(box);
      api("POST", "/api/v1/comments/" + c.id + "/reports", { reason: select.value }).then(function () { done(t.reported); }, function (err) {
        if (err.data && err.data.reason === "already_reported") done(explain(err));
        else failed(box)(err);
      });
    } }, [select, el("button", { type: "submit", text: t.report }),
      el("button", { type: "button", text: t.cancel, onclick: function () { form.remove(); button.focus(); } })]);
    actions.after(form); select.focus();
  }

  // The texts a comment had, oldest first, under it; the button opens and closes them.
  function versions(c, node, button) {
    var shown = node.querySelector(":scope > .versions"), box = node.querySelector(":scope > .status");
    if (shown) { shown.remove(); button.setAttribute("aria-expanded", "false"); return; }
    note(box);
    api("GET", "/api/v1/comments/" + c.id + "/history").then(function (r) {
      var list = el("div", { class: "versions" }, [el("p", { class: "caption", text: t.versionsTitle }),
        el("ol", {}, r.versions.map(function (v) {
          return el("li", {}, [
            el("p", { class: "meta", text: v.edited_at ? fillIn(t.editedOn, { when: day(v.edited_at) }) : t.firstVersion }),
            el("p", { class: "source", text: v.body }),
          ]);
        }))]);
      node.querySelector(":scope > .body").after(list);
      button.setAttribute("aria-expanded", "true");
    }, failed(box));
  }

  // The author of a removed comment asks, once, that another moderator look at it again.
  function appeal(c, actions, box, button) {
    var form = actions.parentNode.querySelector(":scope > form.appeal");
    if (form) { form.querySelector("textarea").focus(); return; }
    var area = checked(el("textarea", { name: "text", rows: 3, maxlength: 2000, required: true, "aria-label": t.appealWhy, placeholder: t.appealWhy }), "text");
    form = el("form", { class: "appeal", onsubmit: function (e) {
      e.preventDefault(); note(box);
      api("POST", "/api/v1/comments/" + c.id + "/appeal", { text: area.value }).then(function () {
        return reloadAt(c.id, t.appealSent);
      }, failed(box));
    } }, [area, el("div", { class: "row" }, [
      el("button", { type: "submit", class: "primary", text: t.appealSend }),
      el("button", { type: "button", text: t.cancel, onclick: function () { form.remove(); button.focus(); } }),
    ])]);
    actions.after(form); area.focus();
  }

  // Signed in: who, the providers to link, and the text box (or, for a banned reader, the
  // sentence that says until when).
  function account(box) {
    var me = s.me, viewer = s.viewer, banned = viewer && viewer.banned;
    var leave = function () {
      api("POST", "/api/v1/auth/logout", { refresh_token: w.session("csvc.refresh") }).catch(function () {});
      w.signedIn(null); w.render();
    };
    box.replaceChildren(el("p", { class: "row" }, [t.signedAs + me.display_name + " ",
      // The host's sign-out page, when it has one, signs the reader out of both.
      cfg.logout ? el("a", { href: cfg.logout, target: "_top", text: t.signOut, onclick: leave })
        : el("button", { type: "button", text: t.signOut, onclick: leave })]),
      w.providerButtons(true));
    if (banned) box.append(el("p", { class: "banner", text: explain({ data: { reason: "banned", banned_until: viewer.banned_until, ban_reason: viewer.ban_reason } }) }));
    else if (me.email_verified === false) box.append(unverified());
    if (!banned && !s.locked) box.append(composer(null, null, post(null)));
  }

  // Beside the text box until the address is verified (a site may hold comments till then).
  function unverified() {
    var box = el("div", { class: "status" });
    return el("div", { class: "banner unverified" }, [
      el("p", { text: t.unverified }),
      el("button", { type: "button", text: t.resend, onclick: function (e) {
        var button = e.target; button.disabled = true; note(box);
        api("POST", "/api/v1/me/email/verification").then(function () { note(box, t.resent); }, function (err) {
          button.disabled = false; failed(box)(err);
        });
      } }),
      box,
    ]);
  }
  // Whether the address was verified elsewhere since the reader signed in here.
  function checkVerified() {
    api("GET", "/api/v1/me").then(function (user) {
      if (!s.me || user.email_verified === s.me.email_verified) return;
      s.me = user; w.keep("csvc.me", JSON.stringify(user)); w.accountForms(true);
    }, function () {});
  }

  // The sign-in form's "forgotten password": an address, and one sentence whether it has an account or not.
  function forgotForm() {
    var box = el("div", { class: "status" }), input = checked(el("input", { name: "email", type: "email", autocomplete: "email", maxlength: 254, required: true }), "email");
    var f = el("form", { class: "account forgot", onsubmit: function (e) {
      e.preventDefault(); note(box);
      api("POST", "/api/v1/auth/password/forgot", { email: input.value }).then(function () {
        f.querySelector("button[type=submit]").disabled = true; note(box, t.forgotSent);
      }, function (err) { failed(box)(err); input.focus(); });
    } }, [el("p", { text: t.forgotIntro }), el("label", {}, [t.email, input]),
      el("div", { class: "row" }, [
        el("button", { type: "submit", class: "primary", text: t.forgotSubmit }),
        el("button", { type: "button", text: t.cancel, onclick: function () { form("in"); } }),
      ]), box]);
    $("#account").replaceChildren(f); input.focus();
  }

  function form(kind) {
    var fields = kind === "in"
      ? [["login", t.login, { autocomplete: "username", maxlength: 254 }], ["password", t.passwordIn, { type: "password", autocomplete: "current-password", maxlength: 256 }]]
      : [["username", t.username, { autocomplete: "username", minlength: 3, maxlength: 32, pattern: "[A-Za-z0-9_.\\-]+" }],
         ["email", t.email, { type: "email", autocomplete: "email", maxlength: 254 }],
         ["password", t.password, { type: "password", autocomplete: "new-password", minlength: 10, maxlength: 256 }],
         ["display_name", t.name, { autocomplete: "nickname", maxlength: 64 }]];
    var box = el("div", { class: "status" });
    var f = el("form", { class: "account", onsubmit: function (e) {
      e.preventDefault(); note(box);
      var data = {};
      fields.forEach(function (x) { var v = f.elements[x[0]].value; if (v) data[x[0]] = v; });
      api("POST", "/api/v1/auth/" + (kind === "in" ? "login" : "register"), data).then(function (pair) {
        w.signedIn(pair); w.render();
      }, function (err) {
        failed(box)(err);
        var input = err.data && f.elements[err.data.field];
        if (input) input.focus();
      });
    } }, fields.map(function (x) {
      var attrs = Object.assign({ name: x[0], type: "text", required: x[0] !== "display_name" }, x[2]);
      return el("label", {}, [x[1], checked(el("input", attrs), x[0])]);
    }).concat([el("div", { class: "row" }, [
      el("button", { type: "submit", class: "primary", text: kind === "in" ? t.submitIn : t.submitUp }),
      el("button", { type: "button", text: t.cancel, onclick: function () { w.accountForms(true); } }),
    ]), kind === "in" ? el("button", { type: "button", class: "link", text: t.forgot, onclick: forgotForm }) : null, box]));
    $("#account").replaceChildren(f); f.querySelector("input").focus();
  }

  return {
    explain: explain, form: form, account: account, checkVerified: checkVerified,
    reply: reply, edit: edit, report: report, appeal: appeal, versions: versions,
  };
};
