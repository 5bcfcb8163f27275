// An author's page: their account, standing and bans on the site, their latest comments (with
// pin and unpin), ban and unban, and "Reject all recent" (one bulk request, confirmed first).
// Reached from a queue item's author name, and from anywhere else through showAuthor(userId).
"use strict";

VIEWS.push("author");
const REJECTABLE = ["approved", "pending"]; // what "Reject all recent" sweeps
let record = null; // the author's record as the API gave it
let outcomesById = new Map(); // comment id -> outcome of the last sweep
languageChosen.push(() => { drawAuthor(); drawRejectDialog(); });

async function showAuthor(userId) {
  showView("author");
  record = null;
  outcomesById = new Map();
  drawAuthor();
  await loadAuthor(userId);
  $("#author-title").focus();
}

async function loadAuthor(userId) {
  try {
    record = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/moderation/users/${userId}`);
  } catch (error) { return say("failed", { detail: error.message }); }
  drawAuthor();
}

const recent = () => record.comments.filter((entry) => REJECTABLE.includes(entry.comment.status)).slice(0, 100);

function drawAuthor() {
  const ready = record !== null;
  $("#author").querySelectorAll(".buttons, h3").forEach((el) => { el.hidden = !ready; });
  if (!ready) {
    ["#author-title", "#author-account", "#author-standing", "#author-ban"].forEach((id) => { $(id).textContent = ""; });
    $("#author-comments").replaceChildren();
    $("#author-bans").replaceChildren();
    return;
  }
  $("#author-title").textContent = t("authorTitle", { username: record.account.username, name: record.account.display_name });
  $("#author-title").tabIndex = -1;
  $("#author-account").textContent = t("accountSince", { day: day(record.account.created_at) });
  $("#author-standing").textContent = t("standing", {
    approved: t("approvedCount", { n: record.standing.approved }),
    rejected: t("rejectedCount", { n: record.standing.rejected }),
    trust: t(record.standing.trusted ? "trusted" : "notTrusted"),
  });
  $("#author-ban").textContent = record.ban ? bannedHere(record.ban) : t("notBannedHere");
  $("#author-ban-button").hidden = record.ban !== null;
  $("#author-unban").hidden = record.ban === null;
  const sweep = $("#reject-recent");
  sweep.textContent = t("rejectRecent", { n: recent().length });
  sweep.disabled = !recent().length;
  $("#author-comments").replaceChildren(
    ...(record.comments.length ? record.comments.map(authorComment) : [line(t("noComments"))]),
  );
  $("#author-bans").replaceChildren(
    ...(record.bans.length ? record.bans.map((entry) => line(banEntry(entry))) : [line(t("noBans"))]),
  );
}

const by = (name) => (name ? t("by", { name }) : "");

function bannedHere(ban) {
  const values = { by: by(ban.banned_by), reason: ban.reason };
  return ban.until ? t("bannedUntil", { ...values, day: day(ban.until) }) : t("bannedForGood", values);
}

function banEntry(entry) {
  const said = t("banEntry", { at: new Date(entry.at).toLocaleString(lang), action: label("actions", entry.action), by: by(entry.by) });
  return entry.reason ? `${said} — ${entry.reason}` : said;
}

function line(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

function authorComment(entry, n) {
  const li = $("#author-comment").content.firstElementChild.cloneNode(true);
  const { comment } = entry;
  $(".state", li).textContent = label("statuses", comment.status);
  const time = $("time", li);
  time.dateTime = comment.created_at;
  time.textContent = new Date(comment.created_at).toLocaleString(lang);
  showArticle($(".article", li), entry.article);
  const outcome = outcomesById.get(comment.id);
  $(".outcome", li).textContent = outcome ? ` · ${label("outcomes", outcome)}` : "";
  $(".body", li).innerHTML = comment.body_html; // sanitised by the service
  drawPin(li, comment);
  $(".pin", li).addEventListener("click", () => togglePin(comment, (changed) => {
    record.comments[n] = { ...entry, comment: { ...comment, pinned: changed.pinned } };
    drawAuthor();
  }));
  return li;
}

function askRejectRecent() {
  const form = $("#confirm-reject-form");
  form.reset();
  drawRejectDialog();
  $("#confirm-reject").showModal();
  form.reason.focus();
}

function drawRejectDialog() {
  if (record) $("#confirm-reject-title").textContent = t("confirmReject", { n: recent().length, name: handle(record.account.username) });
}

async function rejectRecent(event) {
  event.preventDefault();
  const sweep = recent();
  const body = { comment_ids: sweep.map((entry) => entry.comment.id), action: "reject" };
  const reason = event.target.reason.value.trim();
  if (reason) body.reason = reason;
  $("#confirm-reject").close();
  try {
    const { results } = await api("POST", `/api/v1/sites/${encodeURIComponent(site)}/moderation/bulk`, body);
    outcomesById = new Map(results.map((r) => [r.comment_id, r.outcome]));
    say("bulkDone", { action: () => label("actions", "reject"), n: results.filter((r) => r.outcome === "applied").length });
  } catch (error) { return say("failed", { detail: error.message }); }
  await loadAuthor(record.account.id);
}

async function unbanAuthor() {
  const name = handle(record.account.username);
  try {
    await api("DELETE", `/api/v1/sites/${encodeURIComponent(site)}/bans/${record.account.id}`);
    say("unbanned", { name });
  } catch (error) {
    if (error.status === 404) say("notBanned", { name }); else say("failed", { detail: error.message });
  }
  await loadAuthor(record.account.id);
}

document.addEventListener("DOMContentLoaded", () => {
  $("#author-ban-button").addEventListener("click", (event) =>
    askBan(record.account, event.target, "", () => loadAuthor(record.account.id)));
  $("#author-unban").addEventListener("click", unbanAuthor);
  $("#reject-recent").addEventListener("click", askRejectRecent);
  $("#confirm-reject-form").addEventListener("submit", rejectRecent);
  $("#confirm-reject-cancel").addEventListener("click", () => $("#confirm-reject").close());
  $("#confirm-reject").addEventListener("close", () => $("#reject-recent").focus());
});
