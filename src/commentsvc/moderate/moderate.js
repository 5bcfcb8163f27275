// The moderators' dashboard: sign in, pick a site, clear the queue with the
// mouse or the keyboard, ban, read the audit log. Tokens live in this
// origin's sessionStorage only; no framework, no inline script (CSP).
"use strict";

const TEXT = {
  en: {
    title: "Moderation", site: "Site", queue: "Queue", log: "Audit log", signOut: "Sign out",
    signInTitle: "Moderators, sign in", login: "Username or email", password: "Password", signIn: "Sign in",
    queueTitle: "Awaiting a decision", keys: "Keys: j / k next / previous · a approve · r reject · s spam · e keep · / reason · b ban",
    refresh: "Fetch more", when: "When", who: "Who", what: "What", target: "Target", reason: "Reason", more: "More",
    approve: "Approve", reject: "Reject", spam: "Spam", keep: "Keep", banDays: "Ban days (0: for good)", ban: "Ban author",
    held: "Held", reported: "Reported", empty: "Nothing awaits a decision.", notModerator: "This account moderates no site.",
    badLogin: "Wrong username, email or password.", decided: "Decided: ", banned: "Author banned.",
    history: (h) => `${h.approved} approved, ${h.rejected} rejected · account since ${day(h.account_created_at)}`,
    by: "by", anonymous: "(erased account)", failed: "That did not work: ",
    stale: "Its author edited this comment meanwhile: here is the new text. Decide again.",
  },
  fr: {
    title: "Modération", site: "Site", queue: "File", log: "Journal", signOut: "Se déconnecter",
    signInTitle: "Modérateurs, connectez-vous", login: "Nom d'utilisateur ou e-mail", password: "Mot de passe", signIn: "Se connecter",
    queueTitle: "En attente de décision", keys: "Touches : j / k suivant / précédent · a approuver · r rejeter · s spam · e garder · / motif · b bannir",
    refresh: "En charger d'autres", when: "Quand", who: "Qui", what: "Quoi", target: "Cible", reason: "Motif", more: "Plus",
    approve: "Approuver", reject: "Rejeter", spam: "Spam", keep: "Garder", banDays: "Jours de bannissement (0 : définitif)", ban: "Bannir l'auteur",
    held: "Retenu", reported: "Signalé", empty: "Rien n'attend de décision.", notModerator: "Ce compte ne modère aucun site.",
    badLogin: "Identifiant ou mot de passe incorrect.", decided: "Décidé : ", banned: "Auteur banni.",
    history: (h) => `${h.approved} approuvés, ${h.rejected} rejetés · compte depuis le ${day(h.account_created_at)}`,
    by: "par", anonymous: "(compte effacé)", failed: "Échec : ",
    stale: "Son auteur a modifié ce commentaire entre-temps : voici le nouveau texte. Décidez à nouveau.",
  },
};
let lang = (new URLSearchParams(location.search).get("lang") || navigator.language || "en").startsWith("fr") ? "fr" : "en";
const t = (key) => TEXT[lang][key];
const $ = (selector, root = document) => root.querySelector(selector);
const day = (iso) => (iso ? new Date(iso).toLocaleDateString(lang) : "?");

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
  if (!response.ok) throw Object.assign(new Error(data && data.detail), { status: response.status });
  return data;
}

function say(message) { $("#status").textContent = message || ""; }

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("#lang").textContent = lang === "fr" ? "EN" : "FR";
}

let site = null;
let logCursor = null;

async function start() {
  translate();
  if (!session.access) return showSignIn();
  let me;
  try { me = await api("GET", "/api/v1/me"); } catch { session.clear(); return showSignIn(); }
  const sites = me.roles.filter((r) => r.role === "moderator").map((r) => r.site);
  const admin = me.roles.some((r) => r.role === "admin");
  if (!sites.length && !admin) { session.clear(); showSignIn(); return say(t("notModerator")); }
  const picker = $("#site");
  picker.replaceChildren(...sites.map((slug) => new Option(slug, slug)));
  if (admin) {
    const other = new URLSearchParams(location.search).get("site");
    if (other && !sites.includes(other)) picker.append(new Option(other, other));
  }
  site = picker.value || new URLSearchParams(location.search).get("site");
  $("#sign-in").hidden = true;
  showQueue();
}

function showSignIn() {
  $("#sign-in").hidden = false; $("#queue").hidden = true; $("#log").hidden = true;
  $("#sign-in input[name=login]").focus();
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  try {
    session.save(await api("POST", "/api/v1/auth/login", { login: form.login.value, password: form.password.value }));
    form.reset(); say(""); start();
  } catch (error) {
    say(error.status === 401 ? t("badLogin") : t("failed") + error.message);
  }
}

async function showQueue() {
  $("#queue").hidden = false; $("#log").hidden = true;
  const list = $("#items");
  list.replaceChildren();
  await fetchItems();
}

async function fetchItems() {
  try {
    const { items } = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/moderation/queue?limit=20`);
    const list = $("#items");
    const shown = new Map([...list.children].map((li) => [li.dataset.item, li]));
    // An item shown already comes back as it is now (its comment edited meanwhile, say).
    items.forEach((item) => {
      const li = shown.get(String(item.item_id));
      if (li) fill(li, item); else list.append(render(item));
    });
    say(list.querySelector(".item:not(.decided)") ? "" : t("empty"));
    select(list.querySelector(".item:not(.decided)"));
  } catch (error) { say(t("failed") + error.message); }
}

function render(item) {
  const li = $("#item").content.firstElementChild.cloneNode(true);
  li.dataset.item = item.item_id;
  li.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  fill(li, item);
  li.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", () => decide(li, button.dataset.action)));
  $(".ban", li).addEventListener("click", () => ban(li));
  $(".reason", li).addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); decide(li, "reject"); }
  });
  li.addEventListener("click", () => select(li, false));
  return li;
}

// What the item shows of its comment, and the revision a decision is for.
function fill(li, item) {
  li.dataset.revision = item.revision;
  li.dataset.author = item.comment.author ? item.comment.author.id : "";
  $(".kind", li).textContent = t(item.kind);
  const link = $(".article", li);
  link.textContent = item.article.title || item.article.key;
  if (item.article.url) link.href = item.article.url; else link.removeAttribute("href");
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
  $(".author .handle", li).textContent = author ? `@${author.username}` : "";
  $(".history", li).textContent = t("history")(item.author_history);
  $(".body", li).innerHTML = item.comment.body_html; // sanitised by the service
  $(".reports", li).replaceChildren(...item.reports.map((r) => {
    const entry = document.createElement("li");
    entry.textContent = `${r.reason}${r.note ? " — " + r.note : ""} (${r.username || "?"})`;
    return entry;
  }));
  $(".ban", li).disabled = !author;
}

function select(li, focus = true) {
  document.querySelectorAll(".item.selected").forEach((el) => el.classList.remove("selected"));
  if (!li) return;
  li.classList.add("selected");
  if (focus) li.focus();
}

async function decide(li, action) {
  if (li.classList.contains("decided")) return;
  const reason = $(".reason", li).value.trim();
  const days = $(".ban-days", li).value;
  const body = { action, revision: Number(li.dataset.revision) };
  if (reason) body.reason = reason;
  if (days !== "" && action !== "approve" && action !== "keep") body.ban_days = Number(days);
  try {
    const decided = await api("POST", `/api/v1/moderation/items/${li.dataset.item}/decision`, body);
    li.classList.add("decided");
    li.querySelectorAll("button, input").forEach((el) => { el.disabled = true; });
    say(t("decided") + t(decided.decision.action));
    const next = li.parentElement.querySelector(".item:not(.decided)");
    if (next) select(next); else fetchItems();
  } catch (error) {
    if (error.status !== 409) return say(t("failed") + error.message);
    // Edited since it was shown: show the new text, and let the moderator decide about that.
    await fetchItems();
    select(li);
    say(t("stale"));
  }
}

async function ban(li) {
  const days = $(".ban-days", li).value;
  const body = { user_id: Number(li.dataset.author), reason: $(".reason", li).value.trim() || t("ban") };
  if (days !== "" && Number(days) > 0) body.days = Number(days);
  try {
    await api("POST", `/api/v1/sites/${encodeURIComponent(site)}/bans`, body);
    say(t("banned"));
  } catch (error) { say(t("failed") + error.message); }
}

async function showLog(more = false) {
  $("#queue").hidden = true; $("#log").hidden = false;
  if (!more) { logCursor = null; $("#entries").replaceChildren(); }
  try {
    const query = logCursor ? `?cursor=${encodeURIComponent(logCursor)}` : "";
    const page = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/moderation/log${query}`);
    page.entries.forEach((entry) => {
      const row = document.createElement("tr");
      const target = entry.comment_id ? `#${entry.comment_id}` : entry.target_user_id ? `user ${entry.target_user_id}` : entry.article_key || "";
      [new Date(entry.created_at).toLocaleString(lang), entry.actor || "?", t(entry.action) || entry.action, target, entry.reason || ""]
        .forEach((text) => { const cell = document.createElement("td"); cell.textContent = text; row.append(cell); });
      $("#entries").append(row);
    });
    logCursor = page.next_cursor;
    $("#more-log").hidden = !logCursor;
  } catch (error) { say(t("failed") + error.message); }
}

function onKey(event) {
  if ($("#queue").hidden || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.matches("input, select, textarea")) return;
  const current = $(".item.selected");
  const open = [...document.querySelectorAll(".item:not(.decided)")];
  const move = (step) => select(open[Math.max(0, Math.min(open.length - 1, open.indexOf(current) + step))]);
  const actions = { a: "approve", r: "reject", s: "spam", e: "keep" };
  if (event.key === "j" || event.key === "ArrowDown") move(1);
  else if (event.key === "k" || event.key === "ArrowUp") move(-1);
  else if (current && actions[event.key]) decide(current, actions[event.key]);
  else if (current && event.key === "/") $(".reason", current).focus();
  else if (current && event.key === "b") ban(current);
  else return;
  event.preventDefault();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#sign-in").addEventListener("submit", signIn);
  $("#show-queue").addEventListener("click", showQueue);
  $("#show-log").addEventListener("click", () => showLog());
  $("#more-log").addEventListener("click", () => showLog(true));
  $("#refresh").addEventListener("click", fetchItems);
  $("#site").addEventListener("change", (event) => { site = event.target.value; showQueue(); });
  $("#sign-out").addEventListener("click", async () => {
    if (session.refresh) await api("POST", "/api/v1/auth/logout", { refresh_token: session.refresh }).catch(() => {});
    session.clear(); showSignIn();
  });
  $("#lang").addEventListener("click", () => { lang = lang === "fr" ? "en" : "fr"; translate(); });
  document.addEventListener("keydown", onKey);
  start();
});
