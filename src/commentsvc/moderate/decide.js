// The page an e-mailed decision link opens: the item its token names, with approve and reject
// buttons. Opening it decides nothing (mail scanners follow links); a button posts the decision,
// which the service applies once, as the dashboard's. The token is the only credential: it stays
// in this page (no-referrer), and is sent to the API alone. No inline script (CSP).
"use strict";

const TEXT = {
  en: {
    ...LABELS.en,
    title: "Moderation", approve: "Approve", reject: "Reject", dashboard: "Open the dashboard",
    anonymous: "(erased account)", loading: "Loading…",
    decided: (action, who) => `Decided: ${label("actions", action)}${who ? ` by @${who}` : ""}.`,
    badLink: "This link is not valid, or no longer is (links work for 7 days): open the dashboard to decide.",
    forbidden: "You no longer moderate this site.",
    stale: "Its author edited this comment after the e-mail was sent: open the dashboard to see the new text and decide.",
    failed: (detail) => `That did not work: ${detail}`,
  },
  fr: {
    ...LABELS.fr,
    title: "Modération", approve: "Approuver", reject: "Rejeter", dashboard: "Ouvrir le tableau de bord",
    anonymous: "(compte effacé)", loading: "Chargement…",
    decided: (action, who) => `Décidé : ${label("actions", action)}${who ? ` par @${who}` : ""}.`,
    badLink: "Ce lien n'est pas valide, ou ne l'est plus (les liens valent 7 jours) : ouvrez le tableau de bord pour décider.",
    forbidden: "Vous ne modérez plus ce site.",
    stale: "Son auteur a modifié ce commentaire après l'envoi de l'e-mail : ouvrez le tableau de bord pour lire le nouveau texte et décider.",
    failed: (detail) => `Échec : ${detail}`,
  },
};
const query = new URLSearchParams(location.search);
const token = query.get("token") || "";
// Until the link says its language, the browser's.
let lang = (navigator.language || "en").startsWith("fr") ? "fr" : "en";
const t = (key, ...args) => {
  const text = TEXT[lang][key];
  return typeof text === "function" ? text(...args) : text;
};
const label = (group, name) => TEXT[lang][group][name] || name;
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
  document.documentElement.lang = lang;
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
  $(".why").textContent = item.held_details.length ? t("why", item.held_details.map((finding) => explained(TEXT[lang], finding))) : "";
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
  if (item.decision) say(t("decided", item.decision.action, decidedBy));
  else say("");
}

function refused(error) {
  if (error.reason === "bad_link") say(t("badLink"));
  else if (error.status === 403) say(t("forbidden"));
  else if (error.status === 409) say(t("stale"));
  else say(t("failed", error.message));
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
  translate();
  say(t("loading"));
  for (const button of document.querySelectorAll("#buttons button")) {
    button.addEventListener("click", () => decide(button.dataset.action));
  }
  try {
    const linked = await call("GET");
    // The mail's language, where the dashboard speaks it (else the browser's, as until now).
    if (TEXT[linked.language]) lang = linked.language;
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
