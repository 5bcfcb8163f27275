// The moderators' dashboard: sign in, pick a site, clear the queue with the
// mouse or the keyboard, ban and unban, close and reopen articles, read the audit
// log (and search the comments: search.js). Tokens live in this origin's sessionStorage only; no framework, no inline
// script (CSP). Every word on screen comes from the chosen language's catalogue (words.js) and
// is drawn from the data kept below, so choosing another language redraws everything.
"use strict";

// The ban lengths offered, in days (0: for good).
const BAN_DAYS = [1, 7, 30, 365, 0];

const $ = (selector, root = document) => root.querySelector(selector);
const day = (iso) => (iso ? new Date(iso).toLocaleDateString(lang) : "?");
const handle = (username) => `@${username}`;
const banLength = (days) => (days === 0 ? t("forGood") : t("forDays", { n: days }));

const session = {
  get access() { return sessionStorage.getItem("access"); },
  get refresh() { return sessionStorage.getItem("refresh"); },
  save(tokens) { sessionStorage.setItem("access", tokens.access_token); sessionStorage.setItem("refresh", tokens.refresh_token); },
  clear() { sessionStorage.removeItem("access"); sessionStorage.removeItem("refresh"); },
};

async function api(method, path, body, retried = false) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (session.access) headers.Authorization = `Bearer ${session.access}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && !retried && session.refresh) {
    const renewed = await fetch("/api/v1/auth/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: session.refresh }),
    });
    if (renewed.ok) { session.save(await renewed.json()); return api(method, path, body, true); }
    session.clear();
  }
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw Object.assign(new Error(data && data.detail), { status: response.status, field: data && data.field });
  return data;
}

let site = null;
let roles = []; // the signed-in account's, as /me says them
// The views, each a section of the page: showing one hides the others (a view's own file adds its name).
const VIEWS = ["queue", "log"];
const showView = (name) => VIEWS.forEach((view) => { $(`#${view}`).hidden = view !== name; });
// What each view shows of itself for the chosen site (a nav button only some roles see), called as it changes.
const siteChosen = [];
let logCursor = null;
// What each view draws again when the moderator chooses another language (a view's own file adds its own).
const languageChosen = [];
// What is on screen, as the API gave it: drawn again in another language.
const shownItems = new Map(); // item_id (a string, as in li.dataset.item) -> item
let logEntries = [];
let said = null; // the status line: a catalogue key and its values
let banning = null; // what the ban dialog is about: { author, back (the element to return to), done? }

// A value of the status line may be a function (a label, say), for it to follow a change of language.
function say(key, values = {}) {
  said = key ? [key, values] : null;
  $("#status").textContent = said ? t(...said) : "";
}

function translate() {
  document.title = `commentsvc — ${t("title")}`;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("#lang").value = lang;
  drawBanDialog();
  document.querySelectorAll("#items > li.item").forEach((li) => fill(li, shownItems.get(li.dataset.item)));
  drawLog();
  languageChosen.forEach((draw) => draw());
  say(...(said || []));
}

// Each language by its own name ("Deutsch", "العربية"), in its own language and direction.
function offerLanguages() {
  $("#lang").replaceChildren(...LANGUAGES.map((code) => {
    const option = new Option(new Intl.DisplayNames([code], { type: "language" }).of(code), code);
    option.lang = code;
    option.dir = RIGHT_TO_LEFT.includes(code) ? "rtl" : "ltr";
    return option;
  }));
}

// The moderator's choice stays in the address (?lang=), as a link to the dashboard gives it: a
// reload keeps it.
async function chooseLanguage(language) {
  if (!(await speak(language))) return;
  const address = new URL(location.href);
  address.searchParams.set("lang", language);
  history.replaceState(history.state, "", address);
  translate();
}

async function start() {
  await speak(nearest([new URLSearchParams(location.search).get("lang"), ...navigator.languages]));
  offerLanguages();
  translate();
  if (!session.access) return showSignIn();
  let me;
  try { me = await api("GET", "/api/v1/me"); } catch { session.clear(); return showSignIn(); }
  roles = me.roles;
  // An owner moderates the site too.
  const sites = [...new Set(roles.filter((r) => r.site).map((r) => r.site))];
  const admin = roles.some((r) => r.role === "admin");
  if (!sites.length && !admin) { session.clear(); showSignIn(); return say("notModerator"); }
  const picker = $("#site");
  picker.replaceChildren(...sites.map((slug) => new Option(slug, slug)));
  if (admin) {
    const other = new URLSearchParams(location.search).get("site");
    if (other && !sites.includes(other)) picker.append(new Option(other, other));
  }
  site = picker.value || new URLSearchParams(location.search).get("site");
  $("#sign-in").hidden = true;
  $("#signed-in").hidden = false;
  siteChosen.forEach((hook) => hook(site));
  showQueue();
}

// Before anyone signs in, and after they sign out, nothing but the form (and the language).
function showSignIn() {
  $("#sign-in").hidden = false; $("#signed-in").hidden = true; showView(null); roles = [];
  shownItems.clear(); $("#items").replaceChildren();
  logEntries = []; logCursor = null; drawLog();
  forgetResults();
  $("#sign-in input[name=login]").focus();
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  try {
    session.save(await api("POST", "/api/v1/auth/login", { login: form.login.value, password: form.password.value }));
    form.reset(); say(); start();
  } catch (error) {
    if (error.status === 401) say("badLogin"); else say("failed", { detail: error.message });
  }
}

async function showQueue() {
  showView("queue");
  shownItems.clear(); $("#items").replaceChildren();
  await fetchItems();
}

async function fetchItems() {
  try {
    const { items } = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/moderation/queue?limit=20`);
    const list = $("#items");
    // An item shown already comes back as it is now (its comment edited meanwhile, say).
    items.forEach((item) => {
      const id = String(item.item_id);
      const li = shownItemElement(id);
      shownItems.set(id, item);
      if (li) fill(li, item); else list.append(render(item));
    });
    if (list.querySelector(".item:not(.decided)")) say(); else say("empty");
    select(list.querySelector(".item:not(.decided)"));
  } catch (error) { say("failed", { detail: error.message }); }
}

const shownItemElement = (id) => [...$("#items").children].find((li) => li.dataset.item === id);

function render(item) {
  const li = $("#item").content.firstElementChild.cloneNode(true);
  li.dataset.item = item.item_id;
  li.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  const reason = $(".reason", li);
  const hint = $(".hint", li);
  hint.id = `reason-hint-${item.item_id}`;
  reason.setAttribute("aria-describedby", hint.id);
  fill(li, item);
  li.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", () => decide(li, button.dataset.action)));
  $(".ban", li).addEventListener("click", () => askItemBan(li));
  $(".lock", li).addEventListener("click", () => lock(li));
  $(".who", li).addEventListener("click", () => showAuthor(shownItems.get(li.dataset.item).comment.author.id));
  $(".pin", li).addEventListener("click", () => pinItem(li));
  selectable(li);
  reason.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); decide(li, "reject"); }
    // Back to the item, where the keys mean decisions again.
    else if (event.key === "Escape") { event.preventDefault(); select(li); }
  });
  li.addEventListener("click", () => select(li, false));
  return li;
}

// The article's title (else its key), linked where the service says the article can be read.
function showArticle(link, article) {
  link.textContent = article.title || article.key;
  if (article.link) link.href = article.link; else link.removeAttribute("href");
}

// What the item shows, and the revision a decision is for.
function fill(li, item) {
  li.dataset.revision = item.revision;
  $(".kind", li).textContent = t(item.kind);
  showArticle($(".article", li), item.article);
  $(".closed", li).textContent = item.article.locked ? t("closedBadge") : "";
  $(".outcome", li).textContent = item.decision ? t("decided", { action: label("actions", item.decision.action) }) : item.outcome ? label("outcomes", item.outcome) : "";
  const why = $(".why", li);
  why.hidden = !item.held_details.length;
  why.textContent = whyHeld(item.held_details);
  if (item.parent) {
    const parent = $(".parent", li);
    parent.hidden = false;
    parent.innerHTML = item.parent.body_html; // sanitised by the service
    parent.prepend(`${item.parent.author || t("anonymous")} : `);
  }
  const author = item.comment.author;
  // The name, its unique @username and the history each in an element of their own: a display name
  // cannot pass for another's handle or for the history line.
  $(".author .name", li).textContent = author ? author.display_name : t("anonymous");
  $(".author .handle", li).textContent = author ? handle(author.username) : "";
  $(".history", li).textContent = t("history", {
    approved: t("approvedCount", { n: item.author_history.approved }),
    rejected: t("rejectedCount", { n: item.author_history.rejected }),
    since: day(item.author_history.account_created_at),
  });
  $(".body", li).innerHTML = item.comment.body_html; // sanitised by the service
  $(".reports", li).replaceChildren(...item.reports.map((r) => {
    const entry = document.createElement("li");
    const who = r.username ? handle(r.username) : t("anonymous");
    entry.textContent = `${label("reasons", r.reason)}${r.note ? " — " + r.note : ""} (${who})`;
    return entry;
  }));
  $(".ban", li).disabled = !author;
  $(".who", li).disabled = !author;
  $(".lock", li).textContent = t(item.article.locked ? "reopen" : "close");
  drawPin(li, item.comment);
  fillAppeal(li, item);
  fillVersions(li, item);
}

function select(li, focus = true) {
  document.querySelectorAll(".item.selected").forEach((el) => el.classList.remove("selected"));
  if (!li) return;
  li.classList.add("selected");
  if (focus) li.focus();
}

async function decide(li, action) {
  if (li.classList.contains("decided") || !appealDecidable(li, action)) return;
  const reason = $(".reason", li).value.trim();
  const body = { action, revision: Number(li.dataset.revision) };
  if (reason) body.reason = reason;
  try {
    const decided = await api("POST", `/api/v1/moderation/items/${li.dataset.item}/decision`, body);
    markDecided(li, decided);
    say("decided", { action: () => label("actions", decided.decision.action) });
    const next = li.parentElement.querySelector(".item:not(.decided)");
    if (next) select(next); else fetchItems();
  } catch (error) {
    if (error.status !== 409) return say("failed", { detail: error.message });
    // Edited since it was shown: show the new text, and let the moderator decide about that.
    await fetchItems();
    select(li);
    say("stale");
  }
}

// Decided once and for all; its author can still be banned and its article closed.
function markDecided(li, item) {
  shownItems.set(li.dataset.item, item);
  li.classList.add("decided");
  li.querySelectorAll("[data-action], .reason").forEach((el) => { el.disabled = true; });
  fill(li, item);
  pick(li, false); // off the selection, whichever way it was decided
}

function askItemBan(li) {
  askBan(shownItems.get(li.dataset.item).comment.author, li, $(".reason", li).value.trim());
}

// A ban is never one key away: the dialog asks how long and why (the banned reader is shown the
// reason). ``back``: where the keys go once it closes; ``done``: what follows a ban.
function askBan(author, back, reason = "", done = null) {
  if (!author) return;
  banning = { author, back, done };
  const form = $("#ban-form");
  form.reset();
  $("#ban-error").textContent = "";
  form.reason.value = reason;
  drawBanDialog();
  $("#ban").showModal();
  form.days.focus();
}

function drawBanDialog() {
  const days = $("#ban-form").days;
  const chosen = days.value;
  days.replaceChildren(new Option(t("choose"), ""), ...BAN_DAYS.map((n) => new Option(banLength(n), String(n))));
  days.value = chosen;
  if (banning) $("#ban-title").textContent = t("banTitle", { name: handle(banning.author.username) });
}

async function ban(event) {
  event.preventDefault();
  const form = event.target;
  const { author, done } = banning;
  const days = Number(form.days.value);
  const body = { user_id: author.id, reason: form.reason.value.trim() };
  if (days > 0) body.days = days;
  try {
    await api("POST", `/api/v1/sites/${encodeURIComponent(site)}/bans`, body);
  } catch (error) {
    $("#ban-error").textContent = t("failed", { detail: error.message }); // the dialog stays, with what was typed
    return;
  }
  $("#ban").close();
  say("banned", { name: handle(author.username), days: () => banLength(days) });
  if (done) done();
}

async function lock(li) {
  const { article } = shownItems.get(li.dataset.item);
  const locked = !article.locked;
  try {
    await api("PUT", `/api/v1/sites/${encodeURIComponent(site)}/articles/lock`, { article: article.key, locked });
    // Every item about that article shows its new state.
    shownItems.forEach((item, id) => {
      if (item.article.key !== article.key) return;
      const changed = { ...item, article: { ...item.article, locked } };
      shownItems.set(id, changed);
      fill(shownItemElement(id), changed);
    });
    say(locked ? "closedNow" : "reopenedNow", { title: article.title || article.key });
  } catch (error) { say("failed", { detail: error.message }); }
}

async function showLog(more = false) {
  showView("log");
  try {
    const query = more && logCursor ? `?cursor=${encodeURIComponent(logCursor)}` : "";
    const page = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/moderation/log${query}`);
    logEntries = more ? logEntries.concat(page.entries) : page.entries;
    logCursor = page.next_cursor;
    drawLog();
  } catch (error) { say("failed", { detail: error.message }); }
}

function drawLog() {
  $("#entries").replaceChildren(...logEntries.map((entry) => {
    const row = document.createElement("tr");
    const cells = {
      when: [new Date(entry.created_at).toLocaleString(lang)],
      who: [entry.actor ? handle(entry.actor) : t("anonymous")],
      what: [label("actions", entry.action)],
      target: target(entry),
      reason: [entry.reason || changed(entry.change)],
    };
    Object.entries(cells).forEach(([column, content]) => {
      const cell = document.createElement("td");
      cell.className = column;
      cell.dataset.label = t(column); // the column's name above its value on a phone
      cell.append(...content);
      row.append(cell);
    });
    return row;
  }));
  $("#more-log").hidden = !logCursor;
}

// What an entry is about: its article (linked), its comment, its user by @username; with the
// control that undoes it while it still holds.
function target(entry) {
  const parts = [];
  if (entry.article) {
    const link = document.createElement("a");
    link.rel = "noopener noreferrer"; link.target = "_blank";
    showArticle(link, entry.article);
    parts.push(link);
  }
  if (entry.comment_id) parts.push(t("comment", { id: String(entry.comment_id) }));
  if (entry.target_username) parts.push(handle(entry.target_username));
  const nodes = parts.flatMap((part, n) => (n ? [" · ", part] : [part]));
  if (entry.action === "ban" && entry.target_banned) nodes.push(button(t("lift"), () => unban(entry)));
  if (entry.action === "lock" && entry.article && entry.article.locked) nodes.push(button(t("reopen"), () => reopen(entry.article)));
  return nodes;
}

// What a site owner's change changed: each setting from its old value to its new one, the origin,
// the webhook (the account a moderator role was given to or taken from is the entry's target).
function changed(change) {
  if (!change) return "";
  if (change.origin) return change.origin;
  if (change.webhook) return `#${change.webhook} ${change.url}`;
  const value = (v) => (Array.isArray(v) ? v.join(", ") || "–" : typeof v === "boolean" ? t(v ? "yes" : "no") : String(v));
  return Object.entries(change).map(([name, [before, after]]) => t("changedSetting", { name: label("settingNames", name), before: value(before), after: value(after) })).join(" · ");
}

function button(text, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

async function unban(entry) {
  const name = handle(entry.target_username);
  try {
    await api("DELETE", `/api/v1/sites/${encodeURIComponent(site)}/bans/${entry.target_user_id}`);
    say("unbanned", { name });
  } catch (error) {
    if (error.status === 404) say("notBanned", { name }); else say("failed", { detail: error.message });
  }
  await showLog();
}

async function reopen(article) {
  try {
    await api("PUT", `/api/v1/sites/${encodeURIComponent(site)}/articles/lock`, { article: article.key, locked: false });
    say("reopenedNow", { title: article.title || article.key });
  } catch (error) { say("failed", { detail: error.message }); }
  await showLog();
}

function onKey(event) {
  if ($("#queue").hidden || $("#ban").open || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.matches("input:not([type=checkbox]), select, textarea")) return;
  const current = $(".item.selected");
  const open = [...document.querySelectorAll("#items .item:not(.decided)")];
  if (selectionKey(event, current, open)) return event.preventDefault();
  const move = (step) => select(open[Math.max(0, Math.min(open.length - 1, open.indexOf(current) + step))]);
  const actions = { a: "approve", r: "reject", s: "spam", e: "keep" };
  if (event.key === "j" || event.key === "ArrowDown") move(1);
  else if (event.key === "k" || event.key === "ArrowUp") move(-1);
  else if (current && actions[event.key]) decide(current, actions[event.key]);
  else if (current && event.key === "/") $(".reason", current).focus();
  else if (current && event.key === "b") askItemBan(current);
  else return;
  event.preventDefault();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#sign-in").addEventListener("submit", signIn);
  $("#show-queue").addEventListener("click", showQueue);
  $("#show-log").addEventListener("click", () => showLog());
  $("#more-log").addEventListener("click", () => showLog(true));
  $("#refresh").addEventListener("click", fetchItems);
  $("#site").addEventListener("change", (event) => {
    site = event.target.value;
    siteChosen.forEach((hook) => hook(site));
    showQueue();
  });
  $("#sign-out").addEventListener("click", async () => {
    if (session.refresh) await api("POST", "/api/v1/auth/logout", { refresh_token: session.refresh }).catch(() => {});
    session.clear(); say(); showSignIn();
  });
  $("#lang").addEventListener("change", (event) => chooseLanguage(event.target.value));
  $("#ban-form").addEventListener("submit", ban);
  $("#ban-cancel").addEventListener("click", () => $("#ban").close());
  // However the dialog closes (Escape included), the keys work on the item again.
  $("#ban").addEventListener("close", () => {
    if (banning.back.matches("li.item")) select(banning.back); else banning.back.focus();
    banning = null;
  });
  document.addEventListener("keydown", onKey);
  start();
});
