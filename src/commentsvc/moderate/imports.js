// The dashboard's Import view, for a site's owners (and admins): upload another system's export
// (with the upload's progress), then follow the import the server runs in the background until
// its summary, beside the site's earlier imports. Loaded after moderate.js, whose words,
// session and helpers it uses; redrawn from the data kept below when the language changes.
"use strict";

const IMPORT_KEYS = ["path", "url", "identifier"];
const FOLLOW_EVERY_MS = 1000;

VIEWS.push("imports");
let importJobs = []; // the site's imports, as the API gave them, the newest first
let followed = null; // the id of the import this page started, followed until it ends
let uploaded = null; // the upload's progress, a fraction, while it lasts
let following = null; // the timer of the next look at the followed import

// Who may: the site's owners and the service's admins (the API decides; this only hides the button).
const mayImport = () => roles.some((r) => r.role === "admin" || (r.role === "owner" && r.site === site));
siteChosen.push(() => { $("#show-imports").hidden = !mayImport(); });
const importsPath = () => `/api/v1/sites/${encodeURIComponent(site)}/imports`;

function size(bytes) {
  const [value, unit] = bytes >= 1e6 ? [bytes / 1e6, "megabyte"] : [bytes / 1e3, "kilobyte"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, maximumFractionDigits: 1 }).format(value);
}

const uploadingSaid = () =>
  t("uploading", { percent: new Intl.NumberFormat(lang, { style: "percent" }).format(Math.round(uploaded * 100) / 100) });
languageChosen.push(drawImports);

// Leaving the view stops following its import.
function hideImports() {
  clearTimeout(following);
  $("#show-imports").hidden = !mayImport();
}

async function showImports() {
  showView("imports");
  say();
  drawImports();
  await fetchImports();
}

async function fetchImports() {
  try {
    importJobs = (await api("GET", importsPath())).imports;
  } catch (error) { say("failed", { detail: error.message }); }
  drawImports();
}

function drawImports() {
  const keys = $("#import-form").key;
  const chosen = keys.value || "path";
  keys.replaceChildren(...IMPORT_KEYS.map((key) => new Option(label("importKeys", key), key)));
  keys.value = chosen;
  const bar = $("#import-upload");
  bar.hidden = uploaded === null;
  bar.value = uploaded || 0;
  bar.setAttribute("aria-label", uploaded === null ? "" : uploadingSaid());
  drawCurrent();
  $("#import-jobs").replaceChildren(...importJobs.map((job) => {
    const row = document.createElement("tr");
    const cells = {
      when: new Date(job.created_at).toLocaleString(lang),
      who: job.started_by ? handle(job.started_by) : t("anonymous"),
      importFormatShort: job.format,
      importState: label("importStates", job.state),
      importResult: result(job),
    };
    Object.entries(cells).forEach(([column, text]) => {
      const cell = document.createElement("td");
      cell.dataset.label = t(column);
      cell.textContent = text;
      row.append(cell);
    });
    return row;
  }));
}

function result(job) {
  if (job.state === "done") return t("importLine", { created: job.summary.comments_created, n: job.summary.comments });
  if (job.state === "failed") return job.failure;
  return job.state === "running" ? t("importRecords", { n: job.records_read }) : "";
}

// The followed import: its progress, then its summary or why it failed.
function drawCurrent() {
  const box = $("#import-current");
  const job = importJobs.find((j) => j.id === followed);
  if (uploaded !== null) return box.replaceChildren(paragraph(uploadingSaid()));
  if (!job) return box.replaceChildren();
  if (job.state === "queued") return box.replaceChildren(paragraph(t("importQueued")));
  if (job.state === "running") return box.replaceChildren(paragraph(t("importRunning", { n: job.records_read, size: size(job.file_bytes) })));
  if (job.state === "failed") return box.replaceChildren(paragraph(t("importFailed", { why: job.failure })));
  const list = document.createElement("dl");
  Object.keys(WORDS.importSummary).forEach((field) => {
    list.append(term(label("importSummary", field)), definition(job.summary[field].toLocaleString(lang)));
  });
  const skipped = Object.entries(job.summary.skipped);
  if (skipped.length) {
    const reasons = document.createElement("ul");
    reasons.append(...skipped.map(([reason, n]) => {
      const item = document.createElement("li");
      item.textContent = t("skippedLine", { reason: label("skipReasons", reason), n });
      return item;
    }));
    list.append(term(t("importSkipped")), definition(reasons));
  }
  box.replaceChildren(paragraph(t("importDone")), list);
}

function paragraph(text) {
  const element = document.createElement("p");
  element.textContent = text;
  return element;
}

function term(text) {
  const element = document.createElement("dt");
  element.textContent = text;
  return element;
}

function definition(content) {
  const element = document.createElement("dd");
  element.append(content);
  return element;
}

// The file goes as the request's body, the upload's progress shown as it goes (fetch cannot tell it).
function send(path, file) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("Authorization", `Bearer ${session.access}`);
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      uploaded = event.loaded / event.total;
      drawImports();
    });
    request.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch { /* not JSON: a proxy's page */ }
      if (request.status === 202) resolve(data);
      else reject(Object.assign(new Error((data && data.detail) || request.statusText), { status: request.status }));
    });
    request.addEventListener("error", () => reject(new Error(request.statusText || "network error")));
    request.send(file);
  });
}

async function startImport(event) {
  event.preventDefault();
  const form = event.target;
  const [file] = form.file.files;
  if (!file) return;
  const query = new URLSearchParams({ format: form.format.value, key: form.key.value });
  try {
    await api("GET", "/api/v1/me"); // a fresh access token, for an upload that may take a while
    uploaded = 0;
    drawImports();
    const job = await send(`${importsPath()}?${query}`, file);
    uploaded = null;
    followed = job.id;
    form.reset();
    importJobs = [job, ...importJobs.filter((j) => j.id !== job.id)];
    drawImports();
    follow();
  } catch (error) {
    uploaded = null;
    drawImports();
    say("failed", { detail: error.message });
  }
}

async function follow() {
  clearTimeout(following);
  if ($("#imports").hidden || followed === null) return;
  try {
    const job = await api("GET", `${importsPath()}/${followed}`);
    importJobs = importJobs.map((j) => (j.id === job.id ? job : j));
    drawImports();
    if (job.state === "done" || job.state === "failed") return;
  } catch (error) { say("failed", { detail: error.message }); }
  following = setTimeout(follow, FOLLOW_EVERY_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  $("#show-imports").addEventListener("click", showImports);
  $("#import-form").addEventListener("submit", startImport);
  // The other views, another site or signing out leave this one.
  ["#show-queue", "#show-log", "#sign-out"].forEach((id) => $(id).addEventListener("click", hideImports));
  $("#site").addEventListener("change", () => { followed = null; importJobs = []; hideImports(); });
});
