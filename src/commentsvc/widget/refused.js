// The embed was refused (an unknown site, or a page on an origin the site did not register): the
// frame says why in one line, and hands the line and its height to the loader, which repeats the
// line in the host page's console. Nothing here is secret: the slug and the page's own origin.
"use strict";
(function () {
  var line = document.getElementById("refused"), d = line.dataset;
  line.textContent = fillIn(MESSAGES[d.lang].refused[d.reason], { site: d.site, origin: d.origin });
  function tell(what) {
    parent.postMessage({ commentsvc: what, id: Number(d.id), title: document.title, text: line.textContent, height: document.documentElement.getBoundingClientRect().height }, "*");
  }
  // At once (a frame out of view may not be rendered, so not observed, until it is scrolled to),
  // then whenever the line wraps differently.
  tell("refused");
  new ResizeObserver(function () { tell("height"); }).observe(document.documentElement);
})();
