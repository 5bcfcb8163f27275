// Pinning a published top-level comment first in its thread, from a queue item (a reported
// comment) or the author page; the comment's `pinned` says which button to show.
"use strict";

const pinnable = (comment) => comment.parent_id === null && comment.status === "approved";

// The pin button and mark of an element showing ``comment`` (a queue item, an author's comment).
function drawPin(element, comment) {
  const button = $(".pin", element);
  button.hidden = !pinnable(comment) && !comment.pinned;
  button.textContent = t(comment.pinned ? "unpin" : "pin");
  $(".pinned-mark", element).textContent = comment.pinned ? t("pinnedMark") : "";
}

// Pins or unpins the comment; ``then`` gets it as it is now.
async function togglePin(comment, then) {
  try {
    const changed = await api("PUT", `/api/v1/comments/${comment.id}/pin`, { pinned: !comment.pinned });
    then(changed);
    say(changed.pinned ? "pinnedNow" : "unpinnedNow");
  } catch (error) { say("failed", { detail: error.message }); }
}

function pinItem(li) {
  const item = shownItems.get(li.dataset.item);
  togglePin(item.comment, (comment) => {
    const changed = { ...item, comment: { ...item.comment, pinned: comment.pinned } };
    shownItems.set(li.dataset.item, changed);
    fill(li, changed);
  });
}
