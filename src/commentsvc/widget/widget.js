// The comment widget, running in an iframe on the service's origin: the host
// page can neither style it nor read its tokens. No framework, no inline code.
"use strict";
(function () {
  var app = document.getElementById("app"), cfg = app.dataset;
  var T = {
    fr: {
      count: "Nombre de commentaires : ", add: "Ajouter un commentaire", signIn: "Connectez-vous", or: " ou ",
      signUp: "Inscrivez-vous", toPost: " pour publier un commentaire.", login: "Nom d'utilisateur ou e-mail",
      username: "Nom d'utilisateur", email: "E-mail", password: "Mot de passe (10 caractères au moins)",
      name: "Nom affiché (facultatif)", submitIn: "Se connecter", submitUp: "Créer mon compte", cancel: "Annuler",
      write: "Votre commentaire (Markdown)", preview: "Aperçu", edit: "Modifier", publish: "Publier", reply: "Répondre",
      del: "Supprimer", report: "Signaler", up: "J'approuve", down: "Je désapprouve", signOut: "Se déconnecter",
      more: "Plus de commentaires", sort: "Trier", oldest: "Plus anciens", newest: "Plus récents", top: "Les mieux notés",
      pending: "en attente de modération", removed: "retiré par la modération", deleted: "commentaire supprimé",
      edited: "modifié", save: "Enregistrer", confirmDel: "Supprimer ce commentaire ?", reason: "Motif du signalement",
      spam: "Spam", abuse: "Propos abusifs", off_topic: "Hors sujet", other: "Autre", reported: "Merci, le commentaire est signalé.",
      posted: "Commentaire publié.", held: "Commentaire envoyé : il sera visible après modération.", signedAs: "Connecté : ",
      offline: "Le réseau ne répond pas ; votre texte est gardé, réessayez.", empty: "Soyez le premier à réagir.",
      ago: ["à l'instant", "il y a %d minute", "il y a %d minutes", "il y a %d heure", "il y a %d heures", "il y a %d jour", "il y a %d jours"],
      points: " point(s)", newComment: "Nouveau commentaire de ", moreReplies: ["%d autre réponse", "%d autres réponses"],
    },
    en: {
      count: "Number of comments: ", add: "Add a comment", signIn: "Sign in", or: " or ", signUp: "register",
      toPost: " to post a comment.", login: "Username or email", username: "Username", email: "Email",
      password: "Password (at least 10 characters)", name: "Display name (optional)", submitIn: "Sign in",
      submitUp: "Create my account", cancel: "Cancel", write: "Your comment (Markdown)", preview: "Preview", edit: "Edit",
      publish: "Post", reply: "Reply", del: "Delete", report: "Report", up: "Upvote", down: "Downvote", signOut: "Sign out",
      more: "More comments", sort: "Sort", oldest: "Oldest", newest: "Newest", top: "Top", pending: "awaiting moderation",
      removed: "removed by the moderators", deleted: "comment deleted", edited: "edited", save: "Save",
      confirmDel: "Delete this comment?", reason: "Why report it", spam: "Spam", abuse: "Abuse", off_topic: "Off topic",
      other: "Other", reported: "Thank you, the comment is reported.", posted: "Comment posted.",
      held: "Comment sent: it will show once a moderator approves it.", signedAs: "Signed in: ",
      offline: "The network is not answering; your text is kept, try again.", empty: "Be the first to react.",
      ago: ["just now", "%d minute ago", "%d minutes ago", "%d hour ago", "%d hours ago", "%d day ago", "%d days ago"],
      points: " point(s)", newComment: "New comment by ", moreReplies: ["%d more reply", "%d more replies"],
    },
  };
  var t = T[cfg.lang === "en" ? "en" : "fr"];
  var base = "/api/v1/sites/" + encodeURIComponent(cfg.site);
  var store = (function () { try { localStorage.setItem("csvc", "1"); return localStorage; } catch (e) { return null; } })();
  var memory = {};
  function get(k) { return store ? store.getItem(k) : memory[k] || null; }
  function set(k, v) { if (v == null) { if (store) store.removeItem(k); delete memory[k]; } else if (store) store.setItem(k, v); else memory[k] = v; }
  var me = JSON.parse(get("csvc.me") || "null"), sort = "oldest", cursor = null, count = 0;

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== false && attrs[k] != null) e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.append(c); });
    return e;
  }
  function $(s) { return app.querySelector(s); }
  function say(msg) { $("#live").textContent = ""; setTimeout(function () { $("#live").textContent = msg; }, 50); }
  function fail(msg) { $("#error").textContent = msg || ""; }
  function ago(iso) {
    var s = (Date.now() - new Date(iso)) / 1000, a = t.ago, n;
    if (s < 60) return a[0];
    if (s < 3600) { n = Math.floor(s / 60); return a[n > 1 ? 2 : 1].replace("%d", n); }
    if (s < 86400) { n = Math.floor(s / 3600); return a[n > 1 ? 4 : 3].replace("%d", n); }
    n = Math.floor(s / 86400); return a[n > 1 ? 6 : 5].replace("%d", n);
  }

  function api(method, path, body, retried, extra) {
    var h = Object.assign({ Accept: "application/json" }, extra), access = get("csvc.access");
    if (body) h["Content-Type"] = "application/json";
    if (access) h.Authorization = "Bearer " + access;
    return fetch(path, { method: method, headers: h, body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      if (r.status === 401 && !retried && get("csvc.refresh")) {
        return api("POST", "/api/v1/auth/refresh", { refresh_token: get("csvc.refresh") }, true).then(
          function (pair) { signedIn(pair); return api(method, path, body, true, extra); },
          function () { signedIn(null); return api(method, path, body, true, extra); });
      }
      if (r.status === 204) return null;
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.detail || r.statusText);
        return data;
      });
    }, function () { throw new Error(t.offline); });
  }
  function signedIn(pair) {
    me = pair ? pair.user : null;
    set("csvc.access", pair && pair.access_token); set("csvc.refresh", pair && pair.refresh_token);
    set("csvc.me", me && JSON.stringify(me));
  }

  function resize() { parent.postMessage({ commentsvc: "height", id: Number(cfg.id), height: document.documentElement.scrollHeight }, cfg.origin); }
  new ResizeObserver(resize).observe(document.documentElement);

  function draftKey(parentId) { return "csvc.draft." + cfg.site + "." + cfg.article + "." + (parentId || ""); }

  function composer(parentId, initial, onDone) {
    var key = initial == null ? draftKey(parentId) : null;
    var area = el("textarea", { rows: 4, maxlength: 10000, required: true, "aria-label": t.write, placeholder: t.write });
    area.value = initial != null ? initial : get(key) || "";
    area.addEventListener("input", function () { if (key) set(key, area.value || null); });
    var preview = el("div", { class: "preview", hidden: true, "aria-live": "polite" });
    var form = el("form", { class: "composer", onsubmit: function (e) {
      e.preventDefault(); fail("");
      // A new comment's box is emptied once it is posted (a second click would post it again).
      onDone(area.value).then(function () { if (key) { set(key, null); area.value = ""; } }, function (err) { fail(err.message); });
    } }, [
      area, preview,
      el("div", { class: "row" }, [
        el("button", { type: "button", text: t.preview, onclick: function () {
          api("POST", "/api/v1/preview", { body: area.value }).then(function (r) {
            preview.innerHTML = r.body_html; preview.hidden = false;
          }, function (err) { fail(err.message); });
        } }),
        el("button", { type: "submit", class: "primary", text: initial != null ? t.save : t.publish }),
      ]),
    ]);
    return form;
  }

  function newKey() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));  // randomUUID needs a secure context
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function post(parentId) {
    // The same text sent again (a double click, a retry after a timeout) carries the same
    // Idempotency-Key: the service answers with the comment it already made, not a second one.
    var sent = null;
    return function (text) {
      var body = { article: cfg.article, body: text, article_title: cfg.title || undefined, article_url: cfg.url || undefined };
      if (parentId) body.parent_id = parentId;
      if (!sent || sent.text !== text) sent = { text: text, key: newKey() };
      return api("POST", base + "/comments", body, false, { "Idempotency-Key": sent.key }).then(function (c) {
        sent = null;
        say(c.status === "approved" ? t.posted : t.held);
        return load(true).then(function () { var n = app.querySelector("[data-id='" + c.id + "']"); if (n) n.focus(); });
      });
    };
  }

  function comment(c) {
    var mine = me && c.author && c.author.id === me.id, node = el("article", { class: "comment", tabindex: -1, "data-id": c.id });
    var head = el("p", { class: "meta" }, [
      // The unique @username beside the free-form display name: namesakes and look-alikes stay apart.
      el("strong", { text: c.author ? c.author.display_name : "—" }),
      c.author ? el("span", { class: "handle", text: " @" + c.author.username }) : null, " · ",
      el("time", { datetime: c.created_at, title: new Date(c.created_at).toLocaleString(cfg.lang), text: ago(c.created_at) }),
      c.edited_at ? " · " + t.edited : null,
      c.status === "pending" ? el("span", { class: "badge", text: t.pending }) : null,
      c.status === "rejected" || c.status === "spam" || c.status === "removed"
        ? el("span", { class: "badge", text: t.removed + (c.moderation_reason ? " : " + c.moderation_reason : "") }) : null,
    ]);
    var body = el("div", { class: "body" });
    if (c.status === "deleted") body.textContent = t.deleted;
    else body.innerHTML = c.body_html; // sanitised by the service
    body.querySelectorAll("a[href]").forEach(function (a) { a.target = "_blank"; });
    var actions = el("div", { class: "actions" });
    if (c.status === "approved" && me) {
      [[1, "▲", t.up], [-1, "▼", t.down]].forEach(function (v) {
        actions.append(el("button", { type: "button", class: "vote", "aria-label": v[2], "aria-pressed": String(c.my_vote === v[0]),
          disabled: mine, text: v[1], onclick: function () {
            api("PUT", "/api/v1/comments/" + c.id + "/vote", { value: c.my_vote === v[0] ? 0 : v[0] }).then(function () { load(true); }, function (e) { fail(e.message); });
          } }));
      });
    }
    if (c.status === "approved" || c.score) actions.append(el("span", { class: "score", text: c.score + t.points }));
    if (me && c.status !== "deleted" && c.status !== "removed") {
      actions.append(el("button", { type: "button", text: t.reply, onclick: function () {
        var f = composer(c.id, null, post(c.id)); node.append(f); f.querySelector("textarea").focus(); resize();
      } }));
    }
    if (mine && c.status !== "deleted") {
      actions.append(el("button", { type: "button", text: t.edit, onclick: function () {
        var f = composer(c.id, c.body || "", function (text) {
          return api("PATCH", "/api/v1/comments/" + c.id, { body: text }).then(function () { return load(true); });
        });
        body.replaceWith(f); f.querySelector("textarea").focus();
      } }));
      actions.append(el("button", { type: "button", text: t.del, onclick: function () {
        if (!confirm(t.confirmDel)) return;
        api("DELETE", "/api/v1/comments/" + c.id).then(function () { load(true); }, function (e) { fail(e.message); });
      } }));
    }
    if (me && !mine && c.status === "approved") {
      actions.append(el("button", { type: "button", text: t.report, onclick: function () {
        var select = el("select", { "aria-label": t.reason }, ["spam", "abuse", "off_topic", "other"].map(function (r) { return el("option", { value: r, text: t[r] }); }));
        var form = el("form", { class: "row", onsubmit: function (e) {
          e.preventDefault();
          api("POST", "/api/v1/comments/" + c.id + "/reports", { reason: select.value }).then(function () { form.remove(); say(t.reported); }, function (err) { fail(err.message); });
        } }, [select, el("button", { type: "submit", text: t.report })]);
        actions.after(form); select.focus(); resize();
      } }));
    }
    node.append(head, body, actions);
    if (c.replies.length) node.append(el("div", { class: "replies" }, c.replies.map(comment)));
    if (c.more_replies) node.append(moreReplies(c, node));
    return node;
  }

  // A long thread's page carries its first replies; this button appends the next ones.
  function moreReplies(c, node) {
    var cursor = c.replies_cursor, button = el("button", { type: "button", class: "more-replies", onclick: function () {
      button.disabled = true;
      api("GET", base + "/comments?" + new URLSearchParams({ article: cfg.article, replies_to: c.id, cursor: cursor })).then(function (thread) {
        var top = thread.comments[0], first = null;
        top.replies.forEach(function (r) { var added = graft(r, node); first = first || added; });
        if (top.more_replies) { cursor = top.replies_cursor; label(top.more_replies); button.disabled = false; }
        else button.remove();
        if (first) first.focus();
      }, function (e) { button.disabled = false; fail(e.message); });
    } });
    // At least one: French and English agree, one in the singular, more in the plural.
    function label(n) { button.textContent = t.moreReplies[n > 1 ? 1 : 0].replace("%d", n); }
    label(c.more_replies);
    return button;
  }

  // A reply of a later page, under its parent: already shown (sent again only for the new
  // replies under it), or appended to the parent's replies. The first comment it added, if any.
  function graft(c, parentNode) {
    var shown = app.querySelector("[data-id='" + c.id + "']"), first = null;
    if (shown) {
      c.replies.forEach(function (r) { var added = graft(r, shown); first = first || added; });
      return first;
    }
    var box = parentNode.querySelector(":scope > .replies");
    if (!box) {
      box = el("div", { class: "replies" });
      parentNode.querySelector(":scope > .actions").after(box);
    }
    first = comment(c);
    box.append(first);
    return first;
  }

  function load(again) {
    var q = new URLSearchParams({ article: cfg.article, sort: sort, limit: 20 });
    if (!again && cursor) q.set("cursor", cursor);
    return api("GET", base + "/comments?" + q).then(function (thread) {
      count = thread.article.comment_count;
      $("#count").textContent = t.count + count;
      var list = $("#comments");
      if (again) list.replaceChildren();
      thread.comments.forEach(function (c) { list.append(comment(c)); });
      if (!list.children.length) list.append(el("p", { class: "empty", text: t.empty }));
      cursor = thread.next_cursor;
      $("#more").hidden = !cursor;
      $("#add").hidden = !!thread.article.locked && !!me;
    }, function (e) { fail(e.message); });
  }

  function accountForms() {
    var box = $("#account");
    box.replaceChildren();
    if (me) {
      box.append(el("p", { class: "row" }, [t.signedAs + me.display_name + " ",
        el("button", { type: "button", text: t.signOut, onclick: function () {
          api("POST", "/api/v1/auth/logout", { refresh_token: get("csvc.refresh") }).catch(function () {});
          signedIn(null); render();
        } })]), composer(null, null, post(null)));
      return;
    }
    function form(kind) {
      var fields = kind === "in"
        ? [["login", t.login, "text", "username"], ["password", t.password.split(" (")[0], "password", "current-password"]]
        : [["username", t.username, "text", "username"], ["email", t.email, "email", "email"],
           ["password", t.password, "password", "new-password"], ["display_name", t.name, "text", "nickname"]];
      var f = el("form", { class: "account", onsubmit: function (e) {
        e.preventDefault(); fail("");
        var data = {};
        fields.forEach(function (x) { var v = f.elements[x[0]].value; if (v) data[x[0]] = v; });
        api("POST", "/api/v1/auth/" + (kind === "in" ? "login" : "register"), data).then(function (pair) {
          signedIn(pair); render();
        }, function (err) { fail(err.message); });
      } }, fields.map(function (x) {
        return el("label", {}, [x[1], el("input", { name: x[0], type: x[2], autocomplete: x[3], required: x[0] !== "display_name" })]);
      }).concat([el("div", { class: "row" }, [
        el("button", { type: "submit", class: "primary", text: kind === "in" ? t.submitIn : t.submitUp }),
        el("button", { type: "button", text: t.cancel, onclick: accountForms }),
      ])]));
      box.replaceChildren(f); f.querySelector("input").focus();
    }
    box.append(el("p", {}, [
      el("button", { type: "button", class: "link", text: t.signIn, onclick: function () { form("in"); } }), t.or,
      el("button", { type: "button", class: "link", text: t.signUp, onclick: function () { form("up"); } }), t.toPost,
    ]));
  }

  function render() {
    app.replaceChildren(
      el("div", { class: "head" }, [
        el("p", { id: "count", text: t.count + count }),
        el("label", {}, [t.sort + " ", el("select", { id: "sort", onchange: function (e) { sort = e.target.value; load(true); } },
          ["oldest", "newest", "top"].map(function (s) { return el("option", { value: s, text: t[s], selected: s === sort }); }))]),
      ]),
      el("button", { type: "button", id: "add", class: "primary", text: t.add, onclick: function () {
        var a = $("#account textarea, #account button"); if (a) a.focus();
      } }),
      el("div", { id: "account" }),
      el("p", { id: "error", role: "alert" }),
      el("p", { id: "live", class: "sr", "aria-live": "polite" }),
      el("section", { id: "comments", "aria-label": t.count + count }),
      el("button", { type: "button", id: "more", hidden: true, text: t.more, onclick: function () { load(false); } }),
    );
    accountForms();
    load(true);
  }
  render();
})();
