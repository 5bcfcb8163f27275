// The dashboard's Search view: every comment of the site, whatever its status, found by words (in
// any case, with or without accents) and filters, newest first, a page at a time. An author's name
// opens their record where the dashboard has one (showAuthor), else narrows the search to them.
// Loaded after moderate.js, whose api, t, label, $, say, site, lang and views it uses.
"use strict";

VIEWS.push("search");
const STATUSES = ["pending", "approved", "rejected", "spam", "deleted"];
const SEARCH_FIELDS = ["q", "status", "author", "article", "from", "to"];
let results = []; // the comments found, as the API gave them: drawn again in the other language
let resultsCursor = null;
let searched = null; // the query string of the search shown, which "More" goes on with

function showSearch() {
  showView("search");
  drawStatusChoices();
  $("#search-form").q.focus();
}

// The status filter's choices, in the page's language, keeping the one chosen.
function drawStatusChoices() {
  const choice = $("#search-form").status;
  const chosen = choice.value;
  choice.replaceChildren(new Option(t("searchAnyStatus"), ""), ...STATUSES.map((status) => new Option(label("statuses", status), status)));
  choice.value = chosen;
}

async function runSearch(more = false) {
  if (!more) {
    const form = $("#search-form");
    searched = new URLSearchParams();
    SEARCH_FIELDS.forEach((name) => { if (form[name].value.trim()) searched.set(name, form[name].value.trim()); });
  }
  const query = new URLSearchParams(searched);
  if (more && resultsCursor) query.set("cursor", resultsCursor);
  try {
    const page = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/moderation/comments?${query}`);
    results = more ? results.concat(page.comments) : page.comments;
    resultsCursor = page.next_cursor;
    drawResults();
    const n = results.length;
    say(resultsCursor ? "searchFoundMore" : n ? "searchFound" : "searchNone", { n });
  } catch (error) { say("failed", { detail: error.message }); }
}

function drawResults() {
  drawStatusChoices();
  $("#results").replaceChildren(...results.map(resultElement));
  $("#more-results").hidden = !resultsCursor;
}

// Another site, or signed out: nothing found yet.
function forgetResults() {
  results = []; resultsCursor = null; searched = null;
  $("#search-form").reset();
  drawResults();
}
siteChosen.push(forgetResults);
languageChosen.push(drawResults);

function resultElement(comment) {
  const li = $("#result").content.firstElementChild.cloneNode(true);
  $(".state", li).textContent = label("statuses", comment.status);
  showArticle($(".article", li), comment.article);
  const when = $(".when", li);
  when.dateTime = comment.created_at;
  when.textContent = new Date(comment.created_at).toLocaleString(lang);
  const author = comment.author;
  const name = $(".name", li);
  if (author) {
    // The name alone, and its unique @username apart: a display name cannot pass for another's handle.
    name.textContent = author.display_name;
    name.setAttribute("aria-label", t("searchRecord", { name: author.display_name }));
    name.addEventListener("click", () => showAuthor(author.id));
    $(".handle", li).textContent = handle(author.username);
  } else {
    name.replaceWith(t("anonymous"));
  }
  $(".body", li).innerHTML = comment.body_html; // sanitised by the service
  const removal = $(".removal", li);
  removal.hidden = !comment.moderation_reason;
  removal.textContent = comment.moderation_reason ? t("searchReason", { reason: comment.moderation_reason }) : "";
  return li;
}

document.addEventListener("DOMContentLoaded", () => {
  $("#show-search").addEventListener("click", showSearch);
  $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); runSearch(); });
  $("#more-results").addEventListener("click", () => runSearch(true));
});
