// commentsvc loader: mounts the widget into every [data-commentsvc] element as
// an iframe on the service's origin, sizes it from the messages it sends, and
// repeats in the console why an embed was refused. With a host site's sign-in (data-sso-token or
// data-sso-url), it hands the host's token to the frame, and to the frame only.
(function () {
  var script = document.currentScript, service = new URL(script.src).origin, site = script.dataset.site;
  var canonical = document.querySelector("link[rel=canonical]");
  var pageUrl = canonical ? canonical.href : location.href;
  var frames = [], elements = [], fragments = [];

  // The widget is drawn in the colours of what surrounds it: the first opaque background up from
  // its element, else the page's canvas (dark only when the page's color-scheme allows dark and,
  // if it allows both, the reader's system asks for it).
  function theme(el) {
    for (var node = el; node; node = node.parentElement) {
      var rgba = /^rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)$/.exec(getComputedStyle(node).backgroundColor);
      if (rgba && (rgba[4] === undefined || +rgba[4] > 0.5)) {
        return 0.299 * rgba[1] + 0.587 * rgba[2] + 0.114 * rgba[3] < 128 ? "dark" : "light";
      }
    }
    var scheme = getComputedStyle(document.documentElement).colorScheme;
    var dark = /dark/.test(scheme) && (!/light/.test(scheme) || matchMedia("(prefers-color-scheme: dark)").matches);
    return dark ? "dark" : "light";
  }

  // A URL of the host's, absolute for the frame (which checks that it is on this page's origin).
  function hostUrl(url) { return url ? new URL(url, location.href).href : ""; }

  // The host's token for its reader ("" when nobody is signed in there): given on the element, or
  // fetched from data-sso-url on this page's own origin, with the host's own cookies.
  function ssoToken(d) {
    if (d.ssoToken != null) return Promise.resolve(d.ssoToken);
    var url = new URL(d.ssoUrl, location.href);
    if (url.origin !== location.origin) {
      console.error("commentsvc: data-sso-url must be on this page's origin (" + location.origin + "), not " + url.origin);
      return Promise.resolve("");
    }
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json, text/plain" } }).then(function (r) {
      if (!r.ok) return "";
      return r.text().then(function (text) {
        try { return JSON.parse(text).token || ""; } catch (e) { return text.trim(); }
      });
    }).catch(function () { return ""; });
  }

  document.querySelectorAll("[data-commentsvc]").forEach(function (el, n) {
    var d = el.dataset;
    // The reader's languages, most wanted first: the element's data-lang, the page's lang, the
    // browser's; the service speaks the first it knows (else its default).
    var langs = [d.lang, document.documentElement.lang].concat(navigator.languages || [navigator.language]);
    var lang = langs.filter(Boolean).join(",").slice(0, 200);
    var q = new URLSearchParams({
      site: site, id: n, origin: location.origin,
      article: d.articleId || new URL(pageUrl).pathname,
      title: d.articleTitle || document.title, url: pageUrl,
      lang: lang, theme: d.theme === "dark" || d.theme === "light" ? d.theme : theme(el)
    });
    if (d.ssoToken != null || d.ssoUrl != null) {
      q.set("sso", "1"); q.set("login", hostUrl(d.loginUrl)); q.set("logout", hostUrl(d.logoutUrl));
    }
    var f = document.createElement("iframe");
    f.src = service + "/embed?" + q;
    // Until the frame names itself in its own language (see the messages below).
    f.title = "commentsvc";
    f.style.cssText = "width:100%;border:0;height:320px;color-scheme:normal";
    f.setAttribute("loading", "lazy");
    // The page's HTML fragment of the comments stays until the widget is ready.
    var kept = document.createElement("div");
    if (el.children.length) {
      kept.append.apply(kept, el.childNodes);
      el.style.position = "relative";
      f.style.cssText += ";position:absolute;top:0;opacity:0;pointer-events:none";
    }
    el.replaceChildren(kept, f);
    frames[n] = f; elements[n] = el; fragments[n] = kept;
  });
  addEventListener("message", function (e) {
    var m = e.data, f = m && frames[m.id];
    if (e.origin !== service || !f || e.source !== f.contentWindow) return;
    if (typeof m.height === "number") f.style.height = Math.ceil(m.height) + "px";
    if (typeof m.title === "string") f.title = m.title;
    if (m.commentsvc === "refused") console.error(m.text);
    if (m.commentsvc === "ready") { fragments[m.id].style.display = "none"; f.style.position = f.style.opacity = f.style.pointerEvents = ""; }
    // The frame asks for the host's token when it starts: sent to the service's origin alone.
    if (m.commentsvc === "sso") ssoToken(elements[m.id].dataset).then(function (token) {
      f.contentWindow.postMessage({ commentsvc: "sso", token: token }, service);
    });
  });
})();
