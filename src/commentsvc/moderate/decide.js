// The page an e-mailed decision link opens: the item its token names, with approve and reject
// buttons. Opening it decides nothing (mail scanners follow links); a button posts the decision,
// which the service applies once, as the dashboard's. The token is the only credential: it stays
// in this page (no-referrer), and is sent to the API alone. No inline script (CSP).
"use strict";

const query = new URLSearchParams(location.search);
const token = query.get("token") || "";
const $ = (selector, root = document) => root.querySelector(selector);
const say = (text) => { $("#status").textContent = text; };

async function call(method, body) {
  const path = "/api/v1/moderation/decisions/by-link" + (method === "GET" ? `?${new URLSearchParams({ token })}` : "");
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.detail), { status: response.status, reason: data.reason });
  return data;
}

function translate() {
  document.title = `commentsvc — ${t("title")}`;
  for (const element of document.querySelectorAll("[data-t]")) element.textContent = t(element.dataset.t);
  $("#dashboard").href = `/moderate?lang=${lang}`;
}

function show(linked) {
  const { item, decided_by: decidedBy } = linked;
  const article = $(".article");
  article.textContent = item.article.title || item.article.key;
  if (item.article.link) article.href = item.article.link;
  else article.removeAttribute("href");
  $(".kind").textContent = t(item.kind === "held" ? "held" : "reported");
  $(".why").textContent = item.held_details.length ? whyHeld(item.held_details) : "";
  $(".reports").replaceChildren(...item.reports.map((report) => {
    const li = document.createElement("li");
    li.textContent = label("reasons", report.reason) + (report.note ? ` — ${report.note}` : "");
    return li;
  }));
  const author = item.comment.author;
  $(".name").textContent = author ? author.display_name : t("anonymous");
  $(".username").textContent = author ? `@${author.username}` : "";
  $(".body").innerHTML = item.comment.body_html; // sanitised by the service
  $("#item").hidden = false;
  $("#buttons").hidden = Boolean(item.decision);
  if (item.decision) say(t("decided", { action: label("actions", item.decision.action) + (decidedBy ? t("by", { name: decidedBy }) : "") }));
  else say("");
}

function refused(error) {
  if (error.reason === "bad_link") say(t("badLink"));
  else if (error.status === 403) say(t("forbidden"));
  else if (error.status === 409) say(t("linkStale"));
  else say(t("failed", { detail: error.message }));
}

async function decide(action) {
  for (const button of document.querySelectorAll("#buttons button")) button.disabled = true;
  try {
    show(await call("POST", { token, action }));
  } catch (error) {
    refused(error);
  } finally {
    for (const button of document.querySelectorAll("#buttons button")) button.disabled = false;
  }
}

async function start() {
  // Until the link says its language, the browser's.
  await speak(nearest([...navigator.languages]));
  translate();
  say(t("loading"));
  for (const button of document.querySelectorAll("#buttons button")) {
    button.addEventListener("click", () => decide(button.dataset.action));
  }
  try {
    const linked = await call("GET");
    // The mail's language.
    if (linked.language !== lang) await speak(linked.language);
    translate();
    show(linked);
    // The button the e-mail's link named has the focus: Enter confirms it.
    const named = $(`#buttons button[data-action="${query.get("action") === "reject" ? "reject" : "approve"}"]`);
    if (!linked.item.decision && query.has("action")) named.focus();
  } catch (error) {
    refused(error);
  }
}

start();
