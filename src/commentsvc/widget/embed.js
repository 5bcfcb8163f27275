// commentsvc loader: mounts the widget into every [data-commentsvc] element as
// an iframe on the service's origin, and sizes it from the messages it sends.
(function () {
  var script = document.currentScript, service = new URL(script.src).origin, site = script.dataset.site;
  var canonical = document.querySelector("link[rel=canonical]");
  var pageUrl = canonical ? canonical.href : location.href;
  var lang = (document.documentElement.lang || navigator.language || "fr").slice(0, 2);
  var frames = [];
  document.querySelectorAll("[data-commentsvc]").forEach(function (el, n) {
    var d = el.dataset, q = new URLSearchParams({
      site: site, id: n, origin: location.origin,
      article: d.articleId || new URL(pageUrl).pathname,
      title: d.articleTitle || document.title, url: pageUrl,
      lang: d.lang || lang, theme: d.theme || ""
    });
    var f = document.createElement("iframe");
    f.src = service + "/embed?" + q;
    f.title = d.lang === "en" ? "Comments" : "Commentaires";
    f.style.cssText = "width:100%;border:0;height:320px;color-scheme:normal";
    f.setAttribute("loading", "lazy");
    el.replaceChildren(f);
    frames[n] = f;
  });
  addEventListener("message", function (e) {
    var m = e.data, f = m && frames[m.id];
    if (e.origin === service && f && e.source === f.contentWindow && m.commentsvc === "height") {
      f.style.height = Math.ceil(m.height) + "px";
    }
  });
})();
