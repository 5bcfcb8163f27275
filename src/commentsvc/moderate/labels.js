// The words both moderation pages say of an item: why it is held or reported, readers' report
// reasons, and what was decided (the dashboard's audit log says more actions than a link can).
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
