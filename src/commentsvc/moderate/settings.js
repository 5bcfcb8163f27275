// The site owners' Settings view: the site's name and settings (a form made from the fields the
// API describes with them, never from a list of its own), its origins, moderators, webhooks and
// SSO secret. Shown to the site's owners and to admins. Loaded after moderate.js, whose api, t,
// label, $, say, site, roles and views it uses; its words are the dashboard's catalogue's.
"use strict";

VIEWS.push("settings");
let owned = null; // the site as GET …/settings answered: name, settings, origins, fields, webhook_events
let siteRoles = [];
let siteWebhooks = [];
let ssoStatus = null;
// A secret is shown once, as it is made: kept on screen (and redrawn in the other language) until
// the view is left, never fetched again.
const newSecrets = { webhook: null, sso: null };
// The sentence next to each field the service refused, by the field's element id; drawn in
// the current language.
const refused = new Map();
languageChosen.push(drawSettings);

const manages = (slug) => roles.some((r) => r.role === "admin" || (r.role === "owner" && r.site === slug));
siteChosen.push((slug) => { $("#show-settings").hidden = !manages(slug); });

const sitePath = (path) => `/api/v1/sites/${encodeURIComponent(site)}${path}`;
const settingName = (field) => WORDS.settingNames[field.name] || field.description;
// A setting's limits as its field takes them (typed as "1000", never "1,000").
const bounds = (field) => ({ min: String(field.minimum), max: String(field.maximum) });
// A setting's choice in words: a language by its name in the dashboard's.
const choiceName = (field, value) =>
  field.name === "language" ? new Intl.DisplayNames([lang], { type: "language" }).of(value) : label("choices", value);
const when = (iso) => new Date(iso).toLocaleString(lang);

async function showSettings() {
  showView("settings");
  say();
  newSecrets.webhook = newSecrets.sso = null;
  refused.clear();
  try {
    const [settings, moderators, webhooks, sso] = await Promise.all([
      api("GET", sitePath("/settings")), api("GET", sitePath("/moderators")),
      api("GET", sitePath("/webhooks")), api("GET", sitePath("/sso")),
    ]);
    owned = settings; siteRoles = moderators.moderators; siteWebhooks = webhooks.webhooks; ssoStatus = sso;
  } catch (error) { return say("failed", { detail: error.message }); }
  buildForm();
  drawSettings();
}

// --- the settings form ----------------------------------------------------------------------

function buildForm() {
  $("#setting-fields").replaceChildren(...owned.fields.map((field) => {
    const row = document.createElement("p");
    row.className = `field ${field.kind}`;
    const id = `setting-${field.name}`;
    const input = document.createElement(field.kind === "choice" ? "select" : "input");
    input.id = id; input.name = field.name;
    if (field.kind === "choice") input.append(...field.choices.map((choice) => new Option(choice, choice)));
    else if (field.kind === "boolean") input.type = "checkbox";
    else if (field.kind === "integer" || field.kind === "number") {
      Object.assign(input, { type: "number", min: field.minimum, max: field.maximum, step: field.kind === "integer" ? "1" : "any" });
    } else input.type = "text";
    const text = document.createElement("label");
    text.htmlFor = id;
    const hint = Object.assign(document.createElement("span"), { className: "hint", id: `${id}-hint` });
    const error = Object.assign(document.createElement("span"), { className: "field-error", id: `${id}-error` });
    row.append(...(field.kind === "boolean" ? [input, " ", text] : [text, " ", input]), hint, error);
    return row;
  }));
  fillForm();
}

// The values as the service has them.
function fillForm() {
  owned.fields.forEach((field) => {
    const input = $(`#setting-${field.name}`);
    const value = field.name === "name" ? owned.name : owned.settings[field.name];
    if (field.kind === "boolean") input.checked = value;
    else input.value = field.kind === "words" ? value.join(", ") : String(value);
  });
}

// The labels, hints and refusals, in the current language.
function labelForm() {
  owned.fields.forEach((field) => {
    const input = $(`#setting-${field.name}`);
    $(`label[for="${input.id}"]`).textContent = settingName(field);
    if (field.kind === "choice") [...input.options].forEach((option) => { option.textContent = choiceName(field, option.value); });
    const allowed = field.minimum === null ? null : t(field.kind === "text" ? "length" : "range", bounds(field));
    const byDefault = field.default === null ? null : t("byDefault", { value: shownValue(field.kind === "choice" ? choiceName(field, field.default) : field.default) });
    $(`#${input.id}-hint`).textContent = [allowed, byDefault].filter(Boolean).join(" · ");
  });
}

const shownValue = (value) => (Array.isArray(value) ? value.join(", ") || "–" : typeof value === "boolean" ? t(value ? "yes" : "no") : String(value));

function readForm() {
  return Object.fromEntries(owned.fields.map((field) => {
    const input = $(`#setting-${field.name}`);
    if (field.kind === "boolean") return [field.name, input.checked];
    if (field.kind === "words") return [field.name, input.value.split(",").map((word) => word.trim()).filter(Boolean)];
    if (field.kind === "integer" || field.kind === "number") return [field.name, input.value === "" ? null : Number(input.value)];
    return [field.name, input.value];
  }));
}

async function saveSettings(event) {
  event.preventDefault();
  refused.clear();
  try {
    owned = await api("PATCH", sitePath("/settings"), readForm());
    fillForm();
    drawSettings();
    say("saved");
  } catch (error) {
    const field = owned.fields.find((f) => f.name === error.field);
    if (!field) { drawSettings(); return say("failed", { detail: error.message }); }
    refused.set(`setting-${field.name}`, () => settingRefusal(field, error.message));
    drawSettings();
    say();
    $(`#setting-${field.name}`).focus();
  }
}

// Why the service refused a setting's value, from what the setting may be (as the service
// described it); its own sentence when that says nothing more.
function settingRefusal(field, detail) {
  if (field.minimum === null) return t("failed", { detail });
  return t(field.kind === "text" ? "lengthBetween" : "between", bounds(field));
}

// --- refusals next to their field -------------------------------------------------------------

// Each field's hint and refusal are what a screen reader says of it; a refused field says so.
function drawRefusals() {
  document.querySelectorAll("#settings input, #settings select, #settings fieldset").forEach((input) => {
    if (!input.id) return;
    const error = $(`#${input.id}-error`);
    if (!error) return;
    const sentence = refused.get(input.id);
    error.textContent = sentence ? sentence() : "";
    const described = [$(`#${input.id}-hint`) && `${input.id}-hint`, sentence && error.id].filter(Boolean);
    if (described.length) input.setAttribute("aria-describedby", described.join(" ")); else input.removeAttribute("aria-describedby");
    if (sentence) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  });
}

// A refusal of one of the other forms, next to the field it names (``ids``: the field's element
// id by the name the service gives it): a sentence of the dashboard's own, else the service's.
function refuseField(ids, error) {
  const id = ids[error.field];
  const { field, message } = error;
  if (id) refused.set(id, () => WORDS.fieldErrors[field] || t("failed", { detail: message }));
  drawSettings();
  if (!id) return say("failed", { detail: message });
  say();
  $(`#${id}`).focus();
}

// --- origins, moderators, webhooks, SSO ---------------------------------------------------------

function drawSettings() {
  if (!owned) return;
  labelForm();
  $("#origins").replaceChildren(...owned.origins.map((origin) => {
    const item = document.createElement("li");
    item.append(origin, button(t("remove"), () => removeOrigin(origin)));
    return item;
  }));
  $("#moderators").replaceChildren(...siteRoles.map((role) => {
    const item = document.createElement("li");
    const name = document.createElement("bdi");
    name.textContent = role.display_name;
    item.append(name, ` ${handle(role.username)} · ${label("roles", role.role)}`);
    if (role.role === "moderator") item.append(button(t("revoke"), () => revokeModerator(role.username)));
    return item;
  }));
  $("#webhooks").replaceChildren(...siteWebhooks.map((hook) => {
    const item = document.createElement("li");
    const last = hook.last_delivery;
    const sent = last ? t("lastSent", { at: when(last.at), outcome: last.error || t("answered", { status: String(last.status) }) }) : t("neverSent");
    item.append(`${hook.url} · ${hook.events.join(", ")} · ${sent}`, button(t("remove"), () => removeWebhook(hook)));
    return item;
  }));
  const events = $("#new-webhook-events");
  if (events.querySelectorAll("input").length !== owned.webhook_events.length) {
    events.replaceChildren(events.querySelector("legend"), ...owned.webhook_events.map((type) => {
      const choice = document.createElement("label");
      const box = Object.assign(document.createElement("input"), { type: "checkbox", name: "events", value: type });
      choice.append(box, ` ${type}`);
      return choice;
    }));
  }
  $("#webhook-secret").textContent = newSecrets.webhook ? t("secretOnce", { secret: newSecrets.webhook }) : "";
  const sso = ssoStatus;
  $("#sso-state").textContent = sso.current_since
    ? t(sso.previous_valid_until ? "ssoStatePrevious" : "ssoState", {
      since: when(sso.current_since),
      until: sso.previous_valid_until && when(sso.previous_valid_until),
      accounts: t("ssoAccounts", { n: sso.accounts }),
    })
    : t("ssoNone");
  $("#sso-secret").textContent = newSecrets.sso ? t("ssoSecret", { secret: newSecrets.sso }) : "";
  drawRefusals();
}

async function addOrigin(event) {
  event.preventDefault();
  const typed = event.target.origin.value.trim();
  const before = owned.origins;
  refused.clear();
  try {
    owned = await api("POST", sitePath("/origins"), { origin: typed });
  } catch (error) { return refuseField({ origin: "new-origin" }, error); }
  event.target.reset();
  drawSettings();
  // As the service wrote it (https://www.example.org for HTTPS://WWW.Example.org/page).
  say("originAdded", { origin: owned.origins.find((origin) => !before.includes(origin)) || typed });
}

async function removeOrigin(origin) {
  refused.clear();
  try {
    owned = await api("DELETE", sitePath(`/origins?origin=${encodeURIComponent(origin)}`));
    say("originRemoved", { origin });
  } catch (error) { say("failed", { detail: error.message }); }
  drawSettings();
}

async function addModerator(event) {
  event.preventDefault();
  const username = event.target.username.value.trim();
  refused.clear();
  try {
    siteRoles = (await api("POST", sitePath("/moderators"), { username })).moderators;
  } catch (error) { return refuseField({ username: "new-moderator" }, error); }
  event.target.reset();
  drawSettings();
  say("moderatorAdded", { name: handle(siteRoles.find((r) => r.username.toLowerCase() === username.toLowerCase()).username) });
}

async function revokeModerator(username) {
  refused.clear();
  try {
    await api("DELETE", sitePath(`/moderators/${encodeURIComponent(username)}`));
    siteRoles = (await api("GET", sitePath("/moderators"))).moderators;
    say("moderatorRevoked", { name: handle(username) });
  } catch (error) { say("failed", { detail: error.message }); }
  drawSettings();
}

async function addWebhook(event) {
  event.preventDefault();
  const form = event.target;
  const url = form.url.value.trim();
  const events = [...form.querySelectorAll("input[name=events]:checked")].map((box) => box.value);
  refused.clear();
  try {
    const added = await api("POST", sitePath("/webhooks"), { url, events });
    newSecrets.webhook = added.secret;
    siteWebhooks = (await api("GET", sitePath("/webhooks"))).webhooks;
    form.reset();
    say("webhookAdded", { url: added.url });
  } catch (error) { return refuseField({ url: "new-webhook", events: "new-webhook-events" }, error); }
  drawSettings();
}

async function removeWebhook(hook) {
  refused.clear();
  try {
    await api("DELETE", sitePath(`/webhooks/${hook.id}`));
    siteWebhooks = siteWebhooks.filter((other) => other.id !== hook.id);
    say("webhookRemoved", { url: hook.url });
  } catch (error) { say("failed", { detail: error.message }); }
  drawSettings();
}

async function rotateSso() {
  try {
    const made = await api("POST", sitePath("/sso/secret"));
    ssoStatus = made.status;
    newSecrets.sso = made.secret;
  } catch (error) { say("failed", { detail: error.message }); }
  drawSettings();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#show-settings").addEventListener("click", showSettings);
  $("#settings-form").addEventListener("submit", saveSettings);
  $("#origin-form").addEventListener("submit", addOrigin);
  $("#moderator-form").addEventListener("submit", addModerator);
  $("#webhook-form").addEventListener("submit", addWebhook);
  $("#sso-rotate").addEventListener("click", rotateSso);
});
