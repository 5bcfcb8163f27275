// The dashboard's queue items, further: an appeal (its author's text and the removal it contests,
// decided by reinstating the comment or upholding its removal, always with a reason), and the
// versions of an edited comment. Shares moderate.js's top level (t, label, $, api, say, handle).
"use strict";

// The decisions an appeal takes, and what its buttons say.
const APPEAL_DECISIONS = { approve: "reinstate", reject: "uphold" };

// An appeal item's own lines and buttons (the others' are as moderate.js draws them).
function fillAppeal(li, item) {
  const appeal = item.appeal;
  const box = $(".appeal", li);
  box.hidden = !appeal;
  li.querySelectorAll(".spam, .keep").forEach((button) => { button.hidden = !!appeal; });
  if (!appeal) return;
  const removal = {
    action: label("actions", appeal.removal),
    name: appeal.removed_by ? handle(appeal.removed_by) : t("anonymous"),
    reason: appeal.removal_reason,
  };
  $(".appeal-removal", box).textContent = t(appeal.removal_reason ? "appealRemovalWhy" : "appealRemoval", removal);
  $(".appeal-by", box).textContent = t("appealBy");
  $(".appeal-text", box).textContent = appeal.text;
  $(".approve", li).textContent = t(APPEAL_DECISIONS.approve);
  $(".reject", li).textContent = t(APPEAL_DECISIONS.reject);
  if (item.decision) $(".outcome", li).textContent = t("decided", { action: label("actions", APPEAL_DECISIONS[item.decision.action]) });
}

// Whether the decision may go: an appeal's needs a reason (the reason field gets the focus), and is
// approve or reject only.
function appealDecidable(li, action) {
  if (!shownItems.get(li.dataset.item).appeal) return true;
  if (!APPEAL_DECISIONS[action]) { say("appealActions"); return false; }
  if ($(".reason", li).value.trim()) return true;
  say("appealNeedsReason");
  $(".reason", li).focus();
  return false;
}

// An edited comment's history line opens the texts it had (the current one last).
function fillVersions(li, item) {
  const list = $(".versions", li);
  if (!item.comment.edited_at) { list.hidden = true; return; }
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "versions-toggle";
  toggle.textContent = t("versions");
  toggle.setAttribute("aria-expanded", String(!list.hidden));
  toggle.addEventListener("click", () => toggleVersions(li, toggle));
  $(".history", li).append(" · ", toggle);
  if (!list.hidden) drawVersions(list, JSON.parse(list.dataset.versions));
}

async function toggleVersions(li, toggle) {
  const list = $(".versions", li);
  if (!list.hidden) { list.hidden = true; toggle.setAttribute("aria-expanded", "false"); return; }
  try {
    const { versions } = await api("GET", `/api/v1/comments/${shownItems.get(li.dataset.item).comment.id}/history`);
    list.dataset.versions = JSON.stringify(versions); // drawn again in the other language
    drawVersions(list, versions);
    list.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
  } catch (error) { say("failed", { detail: error.message }); }
}

function drawVersions(list, versions) {
  list.replaceChildren(...versions.map((version) => {
    const entry = document.createElement("li");
    const when = document.createElement("p");
    when.className = "when";
    when.textContent = version.edited_at ? t("editedOn", { when: new Date(version.edited_at).toLocaleString(lang) }) : t("firstVersion");
    const body = document.createElement("p");
    body.className = "source";
    body.textContent = version.body; // the Markdown source, as its author wrote it
    entry.append(when, body);
    return entry;
  }));
}
