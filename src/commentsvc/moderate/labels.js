// The words both moderation pages say of an item: why it is held or reported (and what each rule
// found), readers' report reasons, a comment's status, and what was decided (the dashboard's
// audit log says more actions than a link can).
// Loaded before the page's own script, which adds them to its TEXT.
"use strict";

const LABELS = {
  en: {
    held: "Held", reported: "Reported", appeal: "Appeal", why: (rules) => `Why: ${rules.join("; ")}`,
    rules: {
      pre_moderation: "pre-moderation (author not trusted yet)", links: "too many links", blocked_word: "a blocked word",
      repeated_text: "the same text again", burst: "many comments from a new account",
      first_comment: "a new reader's first comment", unverified_email: "e-mail address not verified",
      reports: "reported by readers", spam_score: "spam score",
    },
    // What a rule found (an item's held_details), said after its name; "" when the item does not say.
    details: {
      links: (f) => (f.count === undefined ? "" : `${f.count}, over the limit of ${f.limit}`),
      blocked_word: (f) => (f.words || []).map((word) => `“${word}”`).join(", "),
      burst: (f) => (f.count === undefined ? "" : `${f.count} already within ${f.minutes} min`),
      reports: (f) => (f.count === undefined ? "" : String(f.count)),
    },
    statuses: { pending: "awaiting a decision", approved: "published", rejected: "rejected", spam: "spam", deleted: "deleted" },
    reasons: { spam: "Spam", abuse: "Abuse", off_topic: "Off topic", other: "Other" },
    actions: {
      approve: "approved", reject: "rejected", spam: "marked as spam", keep: "kept", ban: "banned", unban: "ban lifted",
      lock: "closed to new comments", unlock: "reopened to comments", delete: "deleted", describe: "title and address set",
      settings: "settings changed", origin_add: "origin allowed", origin_remove: "origin no longer allowed",
      moderator_grant: "made a moderator", moderator_revoke: "moderator role taken back",
      webhook_add: "webhook added", webhook_remove: "webhook removed", sso_rotate: "new SSO secret made",
      appeal: "removal appealed", reinstate: "reinstated after appeal", uphold: "removal upheld after appeal",
      pin: "pinned", unpin: "unpinned",
    },
  },
  fr: {
    held: "Retenu", reported: "Signalé", appeal: "Contestation", why: (rules) => `Pourquoi : ${rules.join(" ; ")}`,
    rules: {
      pre_moderation: "pré-modération (auteur pas encore de confiance)", links: "trop de liens", blocked_word: "un mot bloqué",
      repeated_text: "le même texte à nouveau", burst: "beaucoup de commentaires d'un compte récent",
      first_comment: "premier commentaire d'un nouveau lecteur", unverified_email: "adresse e-mail non vérifiée",
      reports: "signalé par des lecteurs", spam_score: "score de spam",
    },
    details: {
      links: (f) => (f.count === undefined ? "" : `${f.count}, au-delà de ${f.limit}`),
      blocked_word: (f) => (f.words || []).map((word) => `« ${word} »`).join(", "),
      burst: (f) => (f.count === undefined ? "" : `déjà ${f.count} en ${f.minutes} min`),
      reports: (f) => (f.count === undefined ? "" : String(f.count)),
    },
    statuses: { pending: "en attente de décision", approved: "publié", rejected: "rejeté", spam: "spam", deleted: "supprimé" },
    reasons: { spam: "Spam", abuse: "Propos abusifs", off_topic: "Hors sujet", other: "Autre" },
    actions: {
      approve: "approuvé", reject: "rejeté", spam: "marqué comme spam", keep: "gardé", ban: "banni", unban: "bannissement levé",
      lock: "fermé aux commentaires", unlock: "rouvert aux commentaires", delete: "supprimé", describe: "titre et adresse définis",
      settings: "réglages modifiés", origin_add: "origine autorisée", origin_remove: "origine retirée",
      moderator_grant: "nommé modérateur", moderator_revoke: "rôle de modérateur retiré",
      webhook_add: "webhook ajouté", webhook_remove: "webhook retiré", sso_rotate: "nouveau secret SSO créé",
      appeal: "retrait contesté", reinstate: "rétabli après contestation", uphold: "retrait maintenu après contestation",
      pin: "épinglé", unpin: "désépinglé",
    },
  },
};

// A rule that put an item before a moderator, in these words, with what it found when they say
// more of it: "too many links (5, over the limit of 3)".
function explained(words, finding) {
  const rule = words.rules[finding.rule] || finding.rule;
  const detail = words.details[finding.rule];
  const said = detail ? detail(finding) : "";
  return said ? `${rule} (${said})` : rule;
}
