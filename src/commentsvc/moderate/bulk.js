// Selecting queue items with the mouse (checkboxes, shift+click for a range) or the keyboard (x,
// shift+j / shift+k), then approving, rejecting or marking them as spam in one request; each item
// then shows what became of it. Shares moderate.js's top-level helpers (api, t, $, say, site...).
"use strict";

const picked = new Set(); // item ids (strings, as li.dataset.item)
languageChosen.push(() => drawSelection());
let anchor = null; // the item a shift+click range starts from

const queueItems = () => [...$("#items").children];
// An appeal is decided on its own (by another moderator than the remover, with a reason): never in bulk.
const bulkable = (li) => !li.classList.contains("decided") && shownItems.get(li.dataset.item).kind !== "appeal";

// Wires an item's checkbox (moderate.js's render calls it for each item).
function selectable(li) {
  const box = $(".select", li);
  $(".pick", li).hidden = shownItems.get(li.dataset.item).kind === "appeal";
  box.addEventListener("click", (event) => {
    const on = box.checked; // (drawing the selection sets every box again)
    if (event.shiftKey && anchor && anchor !== li && anchor.isConnected) {
      const items = queueItems();
      const [from, to] = [items.indexOf(anchor), items.indexOf(li)].sort((a, b) => a - b);
      items.slice(from, to + 1).forEach((item) => pick(item, on));
    } else {
      pick(li, on);
    }
    anchor = li;
  });
  drawSelection();
}

function pick(li, on) {
  if (on && bulkable(li)) picked.add(li.dataset.item); else picked.delete(li.dataset.item);
  drawSelection();
}

function clearSelection() {
  picked.clear();
  drawSelection();
}

function drawSelection() {
  const shown = new Set(queueItems().map((li) => li.dataset.item));
  picked.forEach((id) => { if (!shown.has(id)) picked.delete(id); }); // another site's queue, say
  queueItems().forEach((li) => {
    const box = $(".select", li);
    box.checked = picked.has(li.dataset.item);
    box.disabled = !bulkable(li);
  });
  $("#bulk").hidden = picked.size === 0;
  $("#bulk-count").textContent = t("selected", { n: picked.size });
}

// The keys a selection adds (moderate.js's onKey asks first): true when the key was one of them.
function selectionKey(event, current, open) {
  const extend = { J: 1, K: -1, ArrowDown: 1, ArrowUp: -1 }[event.key];
  if (extend && event.shiftKey) {
    const next = open[Math.max(0, Math.min(open.length - 1, open.indexOf(current) + extend))];
    if (current) pick(current, true);
    if (next) { pick(next, true); select(next); }
    return true;
  }
  if (event.key === "x" && current) {
    pick(current, !picked.has(current.dataset.item));
    anchor = current;
    return true;
  }
  if (!picked.size) return false;
  const actions = { a: "approve", r: "reject", s: "spam" };
  if (actions[event.key]) { decideSelected(actions[event.key]); return true; }
  if (event.key === "Escape") { clearSelection(); return true; }
  return false;
}

async function decideSelected(action) {
  const chosen = queueItems().filter((li) => picked.has(li.dataset.item));
  if (!chosen.length) return;
  const body = { comment_ids: chosen.map((li) => shownItems.get(li.dataset.item).comment.id), action };
  const reason = $("#bulk-reason").value.trim();
  if (reason) body.reason = reason;
  let results;
  try {
    ({ results } = await api("POST", `/api/v1/sites/${encodeURIComponent(site)}/moderation/bulk`, body));
  } catch (error) { return say("failed", { detail: error.message }); }
  let edited = false;
  chosen.forEach((li, n) => {
    const { outcome } = results[n];
    const item = shownItems.get(li.dataset.item);
    if (outcome === "edited") { edited = true; return; }
    // Decided now, or nothing left to decide: either way the item is off the moderator's hands.
    markDecided(li, outcome === "applied" ? { ...item, decision: { action } } : { ...item, outcome });
  });
  clearSelection();
  $("#bulk-reason").value = "";
  say("bulkDone", { action: () => label("actions", action), n: results.filter((r) => r.outcome === "applied").length });
  if (edited) {
    // Its new text, to decide on its own; it says why it is still there.
    await fetchItems();
    chosen.forEach((li, n) => {
      if (results[n].outcome !== "edited") return;
      const item = { ...shownItems.get(li.dataset.item), outcome: "edited" };
      shownItems.set(li.dataset.item, item);
      fill(li, item);
    });
  }
  const next = $("#items .item:not(.decided)");
  if (next) select(next); else fetchItems();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-bulk]").forEach((button) => button.addEventListener("click", () => decideSelected(button.dataset.bulk)));
  $("#bulk-clear").addEventListener("click", clearSelection);
  $("#bulk-reason").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); decideSelected("reject"); }
  });
});
