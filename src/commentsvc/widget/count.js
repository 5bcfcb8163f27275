// commentsvc counts: fills every [data-commentsvc-count] on the page, with one
// request per 100 articles (one request for an ordinary listing).
(function () {
  var s = document.currentScript, api = new URL(s.src).origin + "/api/v1/sites/" + encodeURIComponent(s.dataset.site) + "/counts?";
  var els = [].slice.call(document.querySelectorAll("[data-commentsvc-count]"));
  var keys = els.map(function (el) { return el.dataset.commentsvcCount; }).filter(function (k, i, all) { return all.indexOf(k) === i; });
  for (var i = 0; i < keys.length; i += 100) {
    var q = new URLSearchParams();
    keys.slice(i, i + 100).forEach(function (k) { q.append("article", k); });
    fetch(api + q).then(function (r) { return r.ok ? r.json() : {}; }).then(function (counts) {
      els.forEach(function (el) {
        var n = counts[el.dataset.commentsvcCount];
        if (n !== undefined) el.textContent = n;
      });
    });
  }
})();
