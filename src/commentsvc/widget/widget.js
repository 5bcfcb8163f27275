// The comment widget, running in an iframe on the service's origin: the host
// page can neither style it nor read its tokens. No framework, no inline code;
// its words are its language's catalogue (words.js), loaded first. This script shows the
// thread; the forms come with their own script and words (forms.js) when a reader first needs one.
"use strict";
(function () {
  var app = document.getElementById("app"), cfg = app.dataset, lang = cfg.lang;
  var t = MESSAGES[lang], plural = new Intl.PluralRules(lang);
  var relative = new Intl.RelativeTimeFormat(lang);
  var base = "/api/v1/sites/" + encodeURIComponent(cfg.site);
  var store = (function () { try { localStorage.setItem("csvc", "1"); return localStorage; } catch (e) { return null; } })();
  var memory = {};
  function get(k) { return store ? store.getItem(k) : memory[k] || null; }
  function set(k, v) { if (v == null) { if (store) store.removeItem(k); delete memory[k]; } else if (store) store.setItem(k, v); else memory[k] = v; }
  // With a host site's sign-in the host says who reads, on every page: the session lives as long
  // as the page, and never reaches another site's widget through the frame's storage.
  var sso = cfg.sso === "1";
  function session(k) { return sso ? memory[k] || null : get(k); }
  function keep(k, v) { if (!sso) set(k, v); else if (v == null) delete memory[k]; else memory[k] = v; }
  // Who reads, and what the last page said: the article closed or not, and what the signed-in
  // reader may do (the forms read and change it too).
  var s = { me: JSON.parse(session("csvc.me") || "null"), locked: false, viewer: null };
  var sort = "oldest", cursor = null, count = 0, drawn = null;
  // Comments reported from this page: the thread does not say which ones a reader reported.
  var reported = {};
  // The identity providers ([name, label]) and the sign-in popup this frame opened, if any.
  var providers = JSON.parse(cfg.providers || "[]"), popup = null;

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
  // A sentence beside what it is about: an error (announced at once) or a confirmation.
  function note(box, text, error) {
    box.replaceChildren();
    if (text) box.append(el("p", { class: error ? "note error" : "note", role: error ? "alert" : "status", text: text }));
  }
  function day(iso) { return new Date(iso).toLocaleString(lang, { dateStyle: "long", timeStyle: "short" }); }
  function points(n) { return fillIn(t.points[plural.select(n)], { n: n }); }
  function ago(iso) {
    var s = (Date.now() - new Date(iso)) / 1000;
    if (s < 60) return t.justNow;
    if (s < 3600) return relative.format(-Math.floor(s / 60), "minute");
    if (s < 86400) return relative.format(-Math.floor(s / 3600), "hour");
    return relative.format(-Math.floor(s / 86400), "day");
  }

  // The forms, their script and words fetched when a reader first needs one, not on idle: most
  // readers only read, and never download them. Once here, a form shows at once.
  var forms = null, coming = null;
  function withForms(then) {
    if (forms) { then(forms); return; }
    coming = coming || new Promise(function (resolve, reject) {
      var parts = cfg.forms.split(" "), left = parts.length;
      parts.forEach(function (src) {
        document.head.append(el("script", { src: src, onload: function () { if (!--left) resolve(); }, onerror: reject }));
      });
    }).then(function () { forms = FORMS(view); return forms; }, function (err) { coming = null; throw err; });
    coming.then(then, function () { fail(t.offline); });
  }
  // A refusal in the reader's words: its sentence comes with the forms (but not the one that says
  // the network is gone, with which the forms would not come).
  function explained(err, then) {
    if (err.offline) then(t.offline);
    else withForms(function (f) { then(f.explain(err)); });
  }

  function api(method, path, body, extra, retried) {
    // The widget's language, not the browser's: what the account's e-mails are written in.
    var h = Object.assign({ Accept: "application/json", "Accept-Language": lang }, extra), access = session("csvc.access");
    var auth = access && path.indexOf("/api/v1/auth/") !== 0;
    if (body) h["Content-Type"] = "application/json";
    if (auth) h.Authorization = "Bearer " + access;
    return fetch(path, { method: method, headers: h, body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      if (r.status === 204) return null;
      // A proxy's error page is no JSON: its status still chooses the sentence.
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.ok) return data;
        var err = new Error(data.detail || r.statusText);
        err.status = r.status; err.data = data; err.retryAfter = Number(r.headers.get("Retry-After")) || 60;
        if (r.status !== 401 || !auth) throw err;
        return expired(err, retried, function () { return api(method, path, body, extra, true); });
      });
    }, function () { var err = new Error(t.offline); err.offline = true; throw err; });
  }
  // An access token refused: refreshed once and the request sent again; a sign-in that ended
  // (or an account erased meanwhile) signs the reader out, with the sentence that says why.
  function expired(err, retried, again) {
    var refresh = session("csvc.refresh");
    if (retried || !refresh || err.data.reason === "account_gone") return signOut(err);
    return api("POST", "/api/v1/auth/refresh", { refresh_token: refresh }).then(function (pair) {
      signedIn(pair); return again();
    }, function (refused) { if (refused.offline) throw refused; return signOut(refused); });
  }
  function signOut(err) {
    signedIn(null); render(); explained(err, fail);
    err.shown = true;
    throw err;
  }
  function signedIn(pair) {
    s.me = pair ? pair.user : null;
    keep("csvc.access", pair && pair.access_token); keep("csvc.refresh", pair && pair.refresh_token);
    keep("csvc.me", s.me && JSON.stringify(s.me));
  }
  // What an action that failed shows: a ban or a closed discussion redraws the widget, whose
  // banner then says it; anything else is said beside the action.
  function failed(box) {
    return function (err) {
      if (err.shown) return;
      var reason = err.data && err.data.reason;
      if (reason === "banned" || reason === "locked") { load(true); return; }
      explained(err, function (sentence) { note(box, sentence, true); });
    };
  }

  // The content's own height (scrollHeight is never less than the frame's): the frame shrinks too.
  function resize() { parent.postMessage({ commentsvc: "height", id: Number(cfg.id), title: document.title, height: document.documentElement.getBoundingClientRect().height }, cfg.origin); }
  new ResizeObserver(resize).observe(document.documentElement);

  function comment(c) {
    var me = s.me, mine = me && c.author && c.author.id === me.id, node = el("article", { class: "comment", tabindex: -1, "data-id": c.id });
    var removed = c.status === "rejected" || c.status === "spam" || c.status === "removed";
    var allowed = me && !(s.viewer && s.viewer.banned), open = allowed && !s.locked;
    var head = el("p", { class: "meta" }, [
      // The unique @username beside the free-form display name: namesakes and look-alikes stay apart.
      // Readers' own words take their own direction (dir=auto), whatever the widget's language.
      el("strong", { dir: "auto", text: c.author ? c.author.display_name : "—" }),
      c.author ? " " : null, c.author ? el("span", { class: "handle", dir: "ltr", text: "@" + c.author.username }) : null, " · ",
      el("time", { datetime: c.created_at, title: day(c.created_at), text: ago(c.created_at) }),
      c.edited_at ? " · " : null,
      // Its author (and moderators, who are sent its source) may open the texts edits replaced.
      c.edited_at ? (c.body != null ? el("button", { type: "button", class: "link", "aria-expanded": "false",
        "aria-label": t.showVersions, text: t.edited,
        onclick: function (e) { var button = e.currentTarget; withForms(function (f) { f.versions(c, node, button); }); } }) : t.edited) : null,
      c.pinned ? el("span", { class: "badge pinned", text: t.pinned }) : null,
      c.status === "pending" ? el("span", { class: "badge", text: t.pending }) : null,
      removed ? el("span", { class: "badge", text: c.moderation_reason ? fillIn(t.removedWhy, { reason: c.moderation_reason }) : t.removed }) : null,
      c.appeal ? el("span", { class: "badge appeal", text: fillIn(t.appealState[c.appeal.status], { reason: c.appeal.reason }) }) : null,
    ]);
    var body = el("div", { class: "body", dir: "auto" });
    if (c.status === "deleted") body.textContent = t.deleted;
    else body.innerHTML = c.body_html; // sanitised by the service
    body.querySelectorAll("a[href]").forEach(function (a) { a.target = "_blank"; });
    var actions = el("div", { class: "actions" }), box = el("div", { class: "status" });
    if (c.status === "approved" && allowed) {
      [[1, "▲", t.up], [-1, "▼", t.down]].forEach(function (v) {
        actions.append(el("button", { type: "button", class: "vote", "aria-label": v[2], "aria-pressed": String(c.my_vote === v[0]),
          disabled: mine, text: v[1], onclick: function () {
            note(box);
            api("PUT", "/api/v1/comments/" + c.id + "/vote", { value: c.my_vote === v[0] ? 0 : v[0] }).then(function () { load(true); }, failed(box));
          } }));
      });
    }
    if (c.status === "approved" || c.score) actions.append(el("span", { class: "score", text: points(c.score) }));
    if (open && c.status !== "deleted" && c.status !== "removed") {
      var replyButton = el("button", { type: "button", text: t.reply, onclick: function () {
        withForms(function (f) { f.reply(c, node, actions, replyButton); });
      } });
      actions.append(replyButton);
    }
    // The author edits within the site's window: the button goes when the window closes.
    var left = s.viewer ? new Date(c.created_at).getTime() + s.viewer.edit_window_minutes * 60000 - Date.now() : 0;
    if (mine && open && (c.status === "approved" || c.status === "pending") && left > 0) {
      var editButton = el("button", { type: "button", text: t.edit, onclick: function () {
        withForms(function (f) { f.edit(c, body, editButton); });
      } });
      actions.append(editButton);
      setTimeout(function () { editButton.remove(); }, Math.min(left, 2147483647));
    }
    // A removal is contested once, by its author, banned or not.
    if (mine && removed && !c.appeal) {
      var appealButton = el("button", { type: "button", text: t.appeal, onclick: function () {
        withForms(function (f) { f.appeal(c, actions, box, appealButton); });
      } });
      actions.append(appealButton);
    }
    if (mine && c.status !== "deleted") {
      actions.append(el("button", { type: "button", text: t.del, onclick: function () {
        if (!confirm(t.confirmDel)) return;
        note(box);
        api("DELETE", "/api/v1/comments/" + c.id).then(function () { load(true); }, failed(box));
      } }));
    }
    if (allowed && !mine && c.status === "approved") {
      // Once reported, the button gives way to a mark that says so.
      var mark = el("span", { class: "badge", text: t.reportedMark });
      var reportButton = el("button", { type: "button", text: t.report, onclick: function () {
        withForms(function (f) {
          f.report(c, actions, box, reportButton, function (message) {
            reportButton.replaceWith(mark); reported[c.id] = true; note(box, message);
          });
        });
      } });
      actions.append(reported[c.id] ? mark : reportButton);
    }
    node.append(head, body, actions, box);
    if (c.replies.length) node.append(el("div", { class: "replies" }, c.replies.map(comment)));
    if (c.more_replies) node.append(moreReplies(c, node));
    return node;
  }

  // A long thread's page carries its first replies; this button appends the next ones.
  function moreReplies(c, node) {
    var cursor = c.replies_cursor, button = el("button", { type: "button", class: "more-replies", onclick: function () {
      button.disabled = true;
      page({ replies_to: c.id, cursor: cursor }).then(function (thread) {
        var top = thread.comments[0], first = null;
        top.replies.forEach(function (r) { var added = graft(r, node); first = first || added; });
        if (top.more_replies) { cursor = top.replies_cursor; label(top.more_replies); button.disabled = false; }
        else button.remove();
        if (first) first.focus();
      }, function (e) { button.disabled = false; if (!e.shown) explained(e, fail); });
    } });
    function label(n) { button.textContent = fillIn(t.moreReplies[plural.select(n)], { n: n }); }
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

  // A page of the thread. Signed in, it is the page every reader shares, with what is the reader's
  // own beside it (their votes, their comments' sources), set on the comments here.
  function page(q) {
    q.article = cfg.article; q.overlay = 1;
    return api("GET", base + "/comments?" + new URLSearchParams(q)).then(function (thread) {
      var v = thread.viewer;
      if (v && v.votes) (function mine(list) {
        list.forEach(function (c) { c.my_vote = v.votes[c.id] || 0; Object.assign(c, v.own[c.id]); mine(c.replies); });
      })(thread.comments);
      return thread;
    });
  }

  function load(again) {
    var q = { sort: sort, limit: 20 };
    if (!again && cursor) q.cursor = cursor;
    return page(q).then(function (thread) {
      count = thread.article.comment_count; s.locked = thread.article.locked; s.viewer = thread.viewer || null;
      $("#count").textContent = t.count + count;
      var list = $("#comments");
      if (again) list.replaceChildren();
      thread.comments.forEach(function (c) { list.append(comment(c)); });
      if (!list.children.length) list.append(el("p", { class: "empty", text: t.empty }));
      cursor = thread.next_cursor;
      $("#more").hidden = !cursor;
      $("#closed").hidden = !s.locked;
      $("#add").hidden = s.locked || !!(s.viewer && s.viewer.banned);
      accountForms();
      showFresh();
      resize(); // a frame out of view is not observed until it is scrolled to
      // The host page may now hide the comments' HTML fragment that stood in for the widget.
      parent.postMessage({ commentsvc: "ready", id: Number(cfg.id) }, cfg.origin);
    }, function (e) { if (!e.shown) explained(e, fail); });
  }

  // The account box: sign-in and registration, or who is signed in with the composer (or, for a
  // banned reader, the sentence that says until when). Drawn again only when that changes.
  function accountForms(force) {
    var me = s.me, viewer = s.viewer;
    var state = me ? [me.id, s.locked, !!(viewer && viewer.banned), viewer && viewer.banned_until].join() : "out";
    if (state === drawn && !force) return;
    drawn = state;
    var box = $("#account");
    box.replaceChildren();
    // Signed in, the box is the forms' (unless it changed meanwhile).
    if (me) { withForms(function (f) { if (drawn === state) f.account(box); }); return; }
    if (sso) {
      // The host's readers sign in there: no password form, no registration here.
      box.append(el("p", {}, cfg.login ? [el("a", { href: cfg.login, target: "_top", text: t.signIn }), t.toPost] : [t.ssoSignIn]));
      return;
    }
    box.append(el("p", {}, [
      el("button", { type: "button", class: "link", text: t.signIn, onclick: function () { form("in"); } }), t.or,
      el("button", { type: "button", class: "link", text: t.signUp, onclick: function () { form("up"); } }), t.toPost,
    ]), providerButtons(false));
  }
  function form(kind) { withForms(function (f) { f.form(kind); }); }

  // Signing in (or, signed in, linking) with a provider happens in a popup on the service's
  // origin, a first-party window even where third-party cookies are blocked; its last page posts
  // the outcome back to this frame. Opened on the click itself, so that browsers let it through.
  function withProvider(provider, linking) {
    popup = window.open("about:blank", "commentsvc-sign-in", "popup,width=520,height=680");
    if (!popup) { fail(t.popupBlocked); return; }
    var start = "/auth/oidc/" + provider[0] + "/start?lang=" + lang;
    if (!linking) { popup.location = start; return; }
    // The access token stays here: the popup's URL carries a one-time code instead.
    api("POST", "/api/v1/me/identities/link-code").then(function (r) {
      popup.location = start + "&link=" + encodeURIComponent(r.code);
    }, function (err) { popup.close(); if (!err.shown) explained(err, fail); });
  }
  window.addEventListener("message", function (e) {
    if (e.origin !== location.origin || !popup || e.source !== popup || !e.data) return;
    if (e.data.type === "commentsvc:signed-in") { signedIn(e.data.auth); render(); }
    else if (e.data.type === "commentsvc:linked") {
      var named = providers.filter(function (p) { return p[0] === e.data.provider; })[0];
      say(fillIn(t.linked, { provider: named ? named[1] : e.data.provider }));
    }
  });
  function providerButtons(linking) {
    // A host site's readers sign in through it only.
    if (!providers.length || sso) return document.createTextNode("");
    return el("p", { class: "row providers" }, providers.map(function (p) {
      return el("button", { type: "button", text: fillIn(linking ? t.linkProvider : t.withProvider, { provider: p[1] }),
        onclick: function () { withProvider(p, linking); } });
    }));
  }

  function render() {
    drawn = null;
    app.replaceChildren(
      el("div", { class: "head" }, [
        el("p", { id: "count", text: t.count + count }),
        // Its room is kept while hidden: the comments never move under the reader when it shows.
        el("button", { type: "button", id: "fresh", class: "fresh", onclick: function () {
          fresh = {}; polled = 0; showFresh(); load(true).then(function () { $("#comments").focus(); });
        } }),
        el("label", {}, [t.sort + " ", el("select", { id: "sort", onchange: function (e) { sort = e.target.value; load(true); } },
          ["oldest", "newest", "top"].map(function (s) { return el("option", { value: s, text: t[s], selected: s === sort }); }))]),
      ]),
      el("p", { id: "closed", class: "banner", hidden: true, text: t.errors.locked }),
      // Signed out, it opens the sign-in form; signed in, it takes the reader to the text box.
      el("button", { type: "button", id: "add", class: "primary", text: t.add, onclick: function () {
        var area = $("#account textarea");
        if (area) area.focus(); else if (sso && !s.me) { if ($("#account a")) $("#account a").focus(); } else if (!s.me) form("in");
      } }),
      el("div", { id: "account" }),
      el("p", { id: "error", role: "alert" }),
      el("p", { id: "live", class: "sr", "aria-live": "polite" }),
      el("section", { id: "comments", tabindex: -1, "aria-label": t.count + count }),
      el("button", { type: "button", id: "more", hidden: true, text: t.more, onclick: function () { load(false); } }),
    );
    accountForms();
    // The address may have been verified elsewhere since: asked again once per page.
    if (s.me && s.me.email_verified === false) withForms(function (f) { f.checkVerified(); });
    load(true);
  }

  // Live updates: comments published meanwhile are announced by the service (Server-Sent
  // Events) and offered behind one button, never inserted under the reader. Where the stream
  // keeps failing (a proxy that buffers, an article without comments yet), the count is polled.
  var fresh = {}, posted = {}, polled = 0, stream = null, streamErrors = 0;
  var STREAM_ERRORS = 3, POLL_SECONDS = 60;
  function freshCount() { return Object.keys(fresh).length || polled; }
  function showFresh() {
    // Those a reload brought in (the reader's own post, a sort) are news no more.
    Object.keys(fresh).forEach(function (id) { if (app.querySelector("[data-id='" + id + "']")) delete fresh[id]; });
    var button = $("#fresh"), n = freshCount();
    if (!button) return;
    button.style.visibility = n ? "visible" : "hidden";
    button.textContent = n ? fillIn(t.fresh[plural.select(n)] || t.fresh.other, { n: n }) : "\u00a0";
    if (n) say(button.textContent);
  }
  function follow() {
    stream = new EventSource(base + "/live?" + new URLSearchParams({ article: cfg.article }));
    stream.addEventListener("open", function () { streamErrors = 0; });
    stream.addEventListener("comment", function (e) {
      var c = JSON.parse(e.data);
      if (posted[c.id] || app.querySelector("[data-id='" + c.id + "']")) return;
      fresh[c.id] = true; showFresh();
    });
    stream.addEventListener("count", function (e) {
      count = JSON.parse(e.data).comment_count;
      $("#count").textContent = t.count + count;
    });
    stream.addEventListener("error", function () {
      // The browser reconnects by itself (and resumes); a stream refused or failing again and
      // again gives way to polling.
      if (stream.readyState === EventSource.CLOSED || ++streamErrors >= STREAM_ERRORS) { stream.close(); poll(); }
    });
  }
  function poll() {
    setTimeout(function () {
      api("GET", base + "/counts?" + new URLSearchParams({ article: cfg.article })).then(function (counts) {
        var now = counts[cfg.article] || 0;
        polled = Math.max(0, now - count); showFresh();
      }, function () {}).then(poll);
    }, POLL_SECONDS * 1000);
  }

  // A host site's sign-in: the frame asks the host page (the loader) for its reader's token, and
  // takes the answer from that page only; no token means nobody is signed in there.
  function hostSignIn(e) {
    var m = e.data;
    if (e.source !== parent || e.origin !== cfg.origin || !m || m.commentsvc !== "sso") return;
    removeEventListener("message", hostSignIn);
    var ended = session("csvc.refresh");
    if (ended) api("POST", "/api/v1/auth/logout", { refresh_token: ended }).catch(function () {});
    signedIn(null);
    if (!m.token) { render(); return; }
    api("POST", "/api/v1/auth/sso", { site: cfg.site, token: String(m.token) }).then(function (pair) {
      signedIn(pair); render();
    }, function (err) { render(); explained(err, fail); });
  }
  // What the forms use of the thread's view.
  var view = {
    app: app, cfg: cfg, lang: lang, t: t, s: s, base: base, el: el, $: $, say: say, note: note, day: day,
    get: get, set: set, session: session, keep: keep, api: api, failed: failed, signedIn: signedIn,
    load: load, render: render, accountForms: accountForms, providerButtons: providerButtons,
    // The reader's own comment: its announcement is no news to them.
    ownComment: function (id) { posted[id] = true; delete fresh[id]; showFresh(); },
  };
  if (sso) {
    addEventListener("message", hostSignIn);
    parent.postMessage({ commentsvc: "sso", id: Number(cfg.id) }, cfg.origin);
  }
  render();
  if (window.EventSource) follow(); else poll();
})();
