// The moderators' dashboard: sign in, pick a site, clear the queue with the
// mouse or the keyboard, ban and unban, close and reopen articles, read the audit
// log (and search the comments: search.js). Tokens live in this origin's sessionStorage only; no framework, no inline
// script (CSP). Every word on screen comes from TEXT and is drawn from the data
// kept below, so switching the language redraws everything.
"use strict";

// The ban lengths offered, in days (0: for good).
const BAN_DAYS = [1, 7, 30, 365, 0];

const TEXT = {
  en: {
    ...LABELS.en,
    title: "Moderation", site: "Site", queue: "Queue", log: "Audit log", signOut: "Sign out",
    signInTitle: "Moderators, sign in", login: "Username or email", password: "Password", signIn: "Sign in",
    queueTitle: "Awaiting a decision",
    keys: "Keys: j / k next / previous · a approve · r reject · s spam · e keep · / reason (Enter rejects with it, Escape leaves it) · b ban the author (asks how long and why) · x select · shift+j / shift+k (or shift+arrows) select while moving · with a selection, a / r / s decide every selected item, Escape clears it · shift+click selects a range",
    refresh: "Fetch more", when: "When", who: "Who", what: "What", target: "Target", reason: "Reason", more: "More",
    reasonHint: "Enter: reject with this reason · Escape: back to the keys",
    approve: "Approve", reject: "Reject", spam: "Spam", keep: "Keep", ban: "Ban author…",
    close: "Close to new comments", reopen: "Reopen to comments", closedBadge: "· closed to new comments",
    empty: "Nothing awaits a decision.", notModerator: "This account moderates no site.",
    badLogin: "Wrong username, email or password.", decided: (action) => `Decided: ${label("actions", action)}.`,
    banTitle: (name) => `Ban ${name} from this site`, banFor: "How long", banReason: "Reason (the author is shown it)",
    banConfirm: "Ban", cancel: "Cancel", choose: "Choose…",
    days: (n) => (n === 0 ? "for good" : n === 1 ? "for 1 day" : `for ${n} days`),
    banned: (name, days) => `${name} is banned ${t("days", days)}.`,
    lift: "Lift the ban", unbanned: (name) => `${name} may comment again.`,
    notBanned: (name) => `${name} is not banned any more.`,
    closedNow: (title) => `“${title}” is closed to new comments.`, reopenedNow: (title) => `“${title}” is open to comments again.`,
    comment: (id) => `comment #${id}`,
    history: (h) => `${h.approved} approved, ${h.rejected} rejected · account since ${day(h.account_created_at)}`,
    anonymous: "(erased account)", failed: (detail) => `That did not work: ${detail}`,
    stale: "Its author edited this comment meanwhile: here is the new text. Decide again.",
    // The site owners' Settings view (settings.js) and what the audit log says of their changes.
    settings: "Settings", settingsTitle: "Site settings", save: "Save", saved: "Settings saved.", yes: "yes", no: "no",
    settingNames: {
      name: "Site name, as moderators see it", moderation: "When comments are reviewed",
      trust_after: "Approved comments after which an author is trusted (0: never)",
      distrust_ratio: "Rejection rate that withdraws trust", hold_first_comment: "Hold a new reader's first comment (after-publication review)",
      require_verified_email: "Hold comments from unverified e-mail addresses", max_links: "Links a comment may hold before it is held",
      blocked_words: "Blocked words (separated by commas)", burst_count: "Comments a new account may post in a burst",
      burst_minutes: "How long a burst lasts, in minutes", report_threshold: "Readers' reports before a comment is reviewed",
      edit_window_minutes: "Minutes an author may edit a comment", max_depth: "Deepest reply level (0: no nesting)",
      language: "Language of the comments (the moderators' search reads their words in it)",
    },
    choices: { pre: "before publication (pre-moderation)", post: "after publication (post-moderation)", fr: "French", en: "English" },
    range: (min, max) => `from ${min} to ${max}`, length: (min, max) => `${min} to ${max} characters`,
    byDefault: (value) => `default: ${value}`, changedSetting: (name, before, after) => `${name}: ${before} → ${after}`,
    between: (min, max) => `Must be between ${min} and ${max}.`, lengthBetween: (min, max) => `Must be ${min} to ${max} characters long.`,
    fieldErrors: {
      origin: "Give an http(s) address such as https://www.example.org.", username: "No account has that username.",
      url: "Give an absolute http(s) address the service may reach (not a private one).", events: "Choose at least one event.",
    },
    origins: "Origins", originsHint: "The addresses whose pages may show the comments (a change takes up to 10 seconds).",
    newOrigin: "Origin to allow", add: "Add", remove: "Remove", revoke: "Take the role back",
    originAdded: (origin) => `${origin} may show the comments.`, originRemoved: (origin) => `${origin} may no longer show the comments.`,
    moderators: "Moderators", newModerator: "Username of the new moderator",
    roles: { moderator: "moderator", owner: "owner" },
    moderatorAdded: (name) => `${name} moderates this site.`, moderatorRevoked: (name) => `${name} no longer moderates this site.`,
    webhooks: "Webhooks", webhookUrl: "Address to post events to", webhookEvents: "Events",
    webhookAdded: (url) => `Events now go to ${url}.`, webhookRemoved: (url) => `Events no longer go to ${url}.`,
    neverSent: "never sent",
    lastSent: (at, outcome) => `last sent ${at}: ${outcome}`, answered: (status) => `answered ${status}`,
    secretOnce: (secret) => `Its secret, shown this once (keep it): ${secret}`,
    sso: "Sign-in through your site (SSO)", ssoRotate: "Make a new secret",
    ssoNone: "The site has no SSO secret yet.",
    ssoState: (since, until, accounts) =>
      `Secret made ${since}${until ? `; the previous one works until ${until}` : ""}. ${counted(accounts, "account", "accounts")} signed in through it.`,
    ssoSecret: (secret) => `The new secret, shown this once (give it to your site's server; the previous one works for 24 more hours): ${secret}`,
    imports: "Import", importsTitle: "Import comments",
    importsHelp: "Bring in the comments of another system from its export file. The import runs on the server: you may leave this page, and nothing is imported twice if you upload the same file again.",
    importFormat: "Exported from", importFormatShort: "Format", importKey: "Article keys", importFile: "Export file",
    importStart: "Upload and import", importsEarlier: "Imports", importState: "State", importResult: "Result",
    importKeys: { path: "the path of each page's address", url: "each page's whole address", identifier: "the old system's own identifiers" },
    importStates: { queued: "waiting", running: "importing", done: "done", failed: "failed" },
    uploading: (percent) => `Uploading the file: ${percent} %`,
    importQueued: "File received: the import starts in a moment.",
    importRunning: (records, size) => `Importing: ${records} records read from the file (${size}).`,
    importDone: "Import done.", importFailed: (why) => `The import failed: ${why}`,
    importRecords: (records) => `${records} records read`,
    importSummary: {
      threads: "Threads read", articles_created: "Articles created", comments: "Comments read",
      comments_created: "Comments imported", already_imported: "Already imported before", authors_created: "Authors added (as guests)",
    },
    importSkipped: "Left out", skippedLine: (reason, n) => `${reason}: ${n}`, importLine: (s) => `${s.comments_created} of ${s.comments} comments imported`,
    skipReasons: {
      thread: "its thread is not in the file", key: "its thread has no URL or identifier to key it by",
      duplicate: "the same id appears twice in the file", already: "already imported",
      deep: "in a reply cycle, or deeper than 50 replies", empty: "empty body",
      long: "body longer than 10,000 characters", text: "body with control or invalid characters",
      ping: "a pingback or trackback, not a comment",
      type: "a WordPress comment of another type than a reader's comment (an order note, a review…)",
    },
    search: "Search", searchTitle: "Search the comments", searchWords: "Words (any case, with or without accents)",
    searchStatus: "Status", searchAnyStatus: "Any status", searchAuthor: "Author (id or username)",
    searchArticle: "Article (its key)", searchFrom: "Written from", searchTo: "Written until", searchGo: "Search",
    searchFound: (n, more) => (more ? `The ${n} most recent matching comments; more below.` : n === 0 ? "No comment matches."
      : n === 1 ? "1 comment matches." : `${n} comments match.`),
    searchReason: (reason) => `Moderator's reason: ${reason}`,
    searchRecord: (name) => `${name}: their record`,
    select: "Select", selected: (n) => (n === 1 ? "1 item selected" : `${n} items selected`),
    bulkReason: "Reason for all (their authors are shown it)", approveSelected: "Approve selected",
    rejectSelected: "Reject selected", spamSelected: "Spam selected", clearSelection: "Clear the selection",
    bulkDone: (action, n) => `${label("actions", action)}: ${n === 1 ? "1 comment" : `${n} comments`}.`,
    outcomes: {
      applied: "done", already_decided: "already decided: nothing to do", edited: "edited since it was held: decide it on its own",
      deleted: "deleted meanwhile", duplicate: "sent twice", not_found: "not on this site",
    },
    pin: "Pin first in its thread", unpin: "Unpin", pinnedMark: "· pinned", pinnedNow: "Pinned first in its thread.", unpinnedNow: "Unpinned.",
    authorTitle: (a) => `@${a.username} (${a.display_name})`, accountSince: (iso) => `Account since ${day(iso)}.`,
    standing: (s) => `${s.approved} approved, ${s.rejected} rejected on this site · ${s.trusted ? "trusted" : "not trusted"}.`,
    notBannedHere: "Not banned from this site.",
    bannedHere: (b) => `Banned ${b.until ? `until ${day(b.until)}` : "for good"}${b.banned_by ? ` by @${b.banned_by}` : ""}: ${b.reason}`,
    rejectRecent: (n) => `Reject all recent (${n})…`,
    confirmReject: (n, name) => `Reject the ${n === 1 ? "latest published or held comment" : `${n} latest published or held comments`} of ${name}?`,
    rejectThem: "Reject them", recentTitle: "Latest comments on this site", bansTitle: "Bans on this site",
    noComments: "No comment on this site.", noBans: "Never banned from this site.",
    banEntry: (e) => `${new Date(e.at).toLocaleString(lang)} · ${label("actions", e.action)}${e.by ? ` by @${e.by}` : ""}${e.reason ? ` — ${e.reason}` : ""}`,
  },
  fr: {
    ...LABELS.fr,
    title: "Modération", site: "Site", queue: "File d'attente", log: "Journal", signOut: "Se déconnecter",
    signInTitle: "Modérateurs, connectez-vous", login: "Nom d'utilisateur ou e-mail", password: "Mot de passe", signIn: "Se connecter",
    queueTitle: "En attente de décision",
    keys: "Touches : j / k suivant / précédent · a approuver · r rejeter · s spam · e garder · / motif (Entrée rejette avec lui, Échap en sort) · b bannir l'auteur (demande pour combien de temps et pourquoi) · x sélectionner · maj+j / maj+k (ou maj+flèches) sélectionner en se déplaçant · avec une sélection, a / r / s décident de chaque élément sélectionné, Échap la vide · maj+clic sélectionne une plage",
    refresh: "En charger d'autres", when: "Quand", who: "Qui", what: "Quoi", target: "Cible", reason: "Motif", more: "Plus",
    reasonHint: "Entrée : rejeter avec ce motif · Échap : revenir aux touches",
    approve: "Approuver", reject: "Rejeter", spam: "Spam", keep: "Garder", ban: "Bannir l'auteur…",
    close: "Fermer aux commentaires", reopen: "Rouvrir aux commentaires", closedBadge: "· fermé aux commentaires",
    empty: "Rien n'attend de décision.", notModerator: "Ce compte ne modère aucun site.",
    badLogin: "Identifiant ou mot de passe incorrect.", decided: (action) => `Décidé : ${label("actions", action)}.`,
    banTitle: (name) => `Bannir ${name} de ce site`, banFor: "Pour combien de temps", banReason: "Motif (montré à l'auteur)",
    banConfirm: "Bannir", cancel: "Annuler", choose: "Choisir…",
    days: (n) => (n === 0 ? "définitivement" : n === 1 ? "pour 1 jour" : `pour ${n} jours`),
    banned: (name, days) => `${name} est banni ${t("days", days)}.`,
    lift: "Lever le bannissement", unbanned: (name) => `${name} peut de nouveau commenter.`,
    notBanned: (name) => `${name} n'est plus banni.`,
    closedNow: (title) => `« ${title} » est fermé aux nouveaux commentaires.`,
    reopenedNow: (title) => `« ${title} » est de nouveau ouvert aux commentaires.`,
    comment: (id) => `commentaire n° ${id}`,
    history: (h) =>
      `${counted(h.approved, "approuvé", "approuvés")}, ${counted(h.rejected, "rejeté", "rejetés")} · compte depuis le ${day(h.account_created_at)}`,
    anonymous: "(compte effacé)", failed: (detail) => `Échec : ${detail}`,
    stale: "Son auteur a modifié ce commentaire entre-temps : voici le nouveau texte. Décidez à nouveau.",
    settings: "Réglages", settingsTitle: "Réglages du site", save: "Enregistrer", saved: "Réglages enregistrés.", yes: "oui", no: "non",
    settingNames: {
      name: "Nom du site, tel que les modérateurs le voient", moderation: "Quand les commentaires sont examinés",
      trust_after: "Commentaires approuvés après lesquels un auteur est de confiance (0 : jamais)",
      distrust_ratio: "Taux de rejet qui retire la confiance", hold_first_comment: "Retenir le premier commentaire d'un nouveau lecteur (examen après publication)",
      require_verified_email: "Retenir les commentaires des adresses e-mail non vérifiées", max_links: "Liens permis dans un commentaire avant qu'il soit retenu",
      blocked_words: "Mots bloqués (séparés par des virgules)", burst_count: "Commentaires qu'un compte récent peut poster d'affilée",
      burst_minutes: "Durée d'une rafale, en minutes", report_threshold: "Signalements de lecteurs avant qu'un commentaire soit examiné",
      edit_window_minutes: "Minutes pendant lesquelles un auteur peut modifier un commentaire", max_depth: "Niveau de réponse le plus profond (0 : pas d'imbrication)",
      language: "Langue des commentaires (la recherche des modérateurs lit leurs mots dans celle-ci)",
    },
    choices: { pre: "avant publication (pré-modération)", post: "après publication (post-modération)", fr: "français", en: "anglais" },
    range: (min, max) => `de ${min} à ${max}`, length: (min, max) => `de ${min} à ${max} caractères`,
    byDefault: (value) => `par défaut : ${value}`, changedSetting: (name, before, after) => `${name} : ${before} → ${after}`,
    between: (min, max) => `Doit être compris entre ${min} et ${max}.`, lengthBetween: (min, max) => `Doit compter de ${min} à ${max} caractères.`,
    fieldErrors: {
      origin: "Donnez une adresse http(s) telle que https://www.example.org.", username: "Aucun compte n'a ce nom d'utilisateur.",
      url: "Donnez une adresse http(s) absolue que le service peut joindre (pas une adresse privée).", events: "Choisissez au moins un événement.",
    },
    origins: "Origines", originsHint: "Les adresses dont les pages peuvent afficher les commentaires (un changement prend jusqu'à 10 secondes).",
    newOrigin: "Origine à autoriser", add: "Ajouter", remove: "Retirer", revoke: "Retirer le rôle",
    originAdded: (origin) => `${origin} peut afficher les commentaires.`, originRemoved: (origin) => `${origin} ne peut plus afficher les commentaires.`,
    moderators: "Modérateurs", newModerator: "Nom d'utilisateur du nouveau modérateur",
    roles: { moderator: "modérateur", owner: "propriétaire" },
    moderatorAdded: (name) => `${name} modère ce site.`, moderatorRevoked: (name) => `${name} ne modère plus ce site.`,
    webhooks: "Webhooks", webhookUrl: "Adresse où envoyer les événements", webhookEvents: "Événements",
    webhookAdded: (url) => `Les événements partent désormais vers ${url}.`, webhookRemoved: (url) => `Les événements ne partent plus vers ${url}.`,
    neverSent: "jamais envoyé",
    lastSent: (at, outcome) => `dernier envoi ${at} : ${outcome}`, answered: (status) => `réponse ${status}`,
    secretOnce: (secret) => `Son secret, montré cette seule fois (gardez-le) : ${secret}`,
    sso: "Connexion par votre site (SSO)", ssoRotate: "Créer un nouveau secret",
    ssoNone: "Le site n'a pas encore de secret SSO.",
    ssoState: (since, until, accounts) =>
      `Secret créé le ${since}${until ? ` ; le précédent fonctionne jusqu'au ${until}` : ""}. ${counted(accounts, "compte s'est connecté", "comptes se sont connectés")} par lui.`,
    ssoSecret: (secret) => `Le nouveau secret, montré cette seule fois (donnez-le au serveur de votre site ; le précédent fonctionne encore 24 heures) : ${secret}`,
    imports: "Importer", importsTitle: "Importer des commentaires",
    importsHelp: "Reprenez les commentaires d'un autre système depuis son fichier d'export. L'import se fait sur le serveur : vous pouvez quitter cette page, et rien n'est importé deux fois si vous envoyez de nouveau le même fichier.",
    importFormat: "Exporté de", importFormatShort: "Format", importKey: "Clés des articles", importFile: "Fichier d'export",
    importStart: "Envoyer et importer", importsEarlier: "Imports", importState: "État", importResult: "Résultat",
    importKeys: { path: "le chemin de l'adresse de chaque page", url: "l'adresse complète de chaque page", identifier: "les identifiants de l'ancien système" },
    importStates: { queued: "en attente", running: "en cours", done: "terminé", failed: "échoué" },
    uploading: (percent) => `Envoi du fichier : ${percent} %`,
    importQueued: "Fichier reçu : l'import commence dans un instant.",
    importRunning: (records, size) => `Import en cours : ${records} enregistrements lus dans le fichier (${size}).`,
    importDone: "Import terminé.", importFailed: (why) => `L'import a échoué : ${why}`,
    importRecords: (records) => `${records} enregistrements lus`,
    importSummary: {
      threads: "Fils lus", articles_created: "Articles créés", comments: "Commentaires lus",
      comments_created: "Commentaires importés", already_imported: "Déjà importés auparavant", authors_created: "Auteurs ajoutés (comme invités)",
    },
    importSkipped: "Laissés de côté", skippedLine: (reason, n) => `${reason} : ${n}`, importLine: (s) => `${s.comments_created} commentaires importés sur ${s.comments}`,
    // Why comments were left out, by the summary's codes (domain/imports.py REASONS).
    skipReasons: {
      thread: "son fil n'est pas dans le fichier", key: "son fil n'a ni adresse ni identifiant pour le nommer",
      duplicate: "le même identifiant apparaît deux fois dans le fichier", already: "déjà importé",
      deep: "dans un cycle de réponses, ou à plus de 50 réponses de profondeur", empty: "texte vide",
      long: "texte de plus de 10 000 caractères", text: "texte avec des caractères de contrôle ou invalides",
      ping: "un pingback ou un trackback, pas un commentaire",
      type: "un commentaire WordPress d'un autre type que celui d'un lecteur (une note de commande, un avis…)",
    },
    search: "Recherche", searchTitle: "Rechercher dans les commentaires", searchWords: "Mots (casse et accents indifférents)",
    searchStatus: "État", searchAnyStatus: "Tous les états", searchAuthor: "Auteur (id ou nom d'utilisateur)",
    searchArticle: "Article (sa clé)", searchFrom: "Écrits depuis le", searchTo: "Écrits jusqu'au", searchGo: "Rechercher",
    searchFound: (n, more) => (more ? `Les ${n} commentaires les plus récents qui correspondent ; d'autres plus bas.`
      : n === 0 ? "Aucun commentaire ne correspond." : n === 1 ? "1 commentaire correspond." : `${n} commentaires correspondent.`),
    searchReason: (reason) => `Motif du modérateur : ${reason}`,
    searchRecord: (name) => `${name} : son dossier`,
    select: "Sélectionner", selected: (n) => `${counted(n, "élément sélectionné", "éléments sélectionnés")}`,
    bulkReason: "Motif pour tous (montré à leurs auteurs)", approveSelected: "Approuver la sélection",
    rejectSelected: "Rejeter la sélection", spamSelected: "Sélection en spam", clearSelection: "Vider la sélection",
    bulkDone: (action, n) => `${label("actions", action)} : ${counted(n, "commentaire", "commentaires")}.`,
    outcomes: {
      applied: "fait", already_decided: "déjà décidé : rien à faire", edited: "modifié depuis sa retenue : décidez-en seul",
      deleted: "supprimé entre-temps", duplicate: "envoyé deux fois", not_found: "absent de ce site",
    },
    pin: "Épingler en tête du fil", unpin: "Désépingler", pinnedMark: "· épinglé", pinnedNow: "Épinglé en tête du fil.", unpinnedNow: "Désépinglé.",
    authorTitle: (a) => `@${a.username} (${a.display_name})`, accountSince: (iso) => `Compte créé le ${day(iso)}.`,
    standing: (s) =>
      `${counted(s.approved, "approuvé", "approuvés")}, ${counted(s.rejected, "rejeté", "rejetés")} sur ce site · ${s.trusted ? "de confiance" : "pas encore de confiance"}.`,
    notBannedHere: "Pas banni de ce site.",
    bannedHere: (b) => `Banni ${b.until ? `jusqu'au ${day(b.until)}` : "définitivement"}${b.banned_by ? ` par @${b.banned_by}` : ""} : ${b.reason}`,
    rejectRecent: (n) => `Rejeter tous les récents (${n})…`,
    confirmReject: (n, name) =>
      `Rejeter ${n === 1 ? "le dernier commentaire publié ou retenu" : `les ${n} derniers commentaires publiés ou retenus`} de ${name} ?`,
    rejectThem: "Les rejeter", recentTitle: "Derniers commentaires sur ce site", bansTitle: "Bannissements sur ce site",
    noComments: "Aucun commentaire sur ce site.", noBans: "Jamais banni de ce site.",
    banEntry: (e) => `${new Date(e.at).toLocaleString(lang)} · ${label("actions", e.action)}${e.by ? ` par @${e.by}` : ""}${e.reason ? ` — ${e.reason}` : ""}`,
  },
};
let lang = (new URLSearchParams(location.search).get("lang") || navigator.language || "en").startsWith("fr") ? "fr" : "en";
const t = (key, ...args) => {
  const text = TEXT[lang][key];
  return typeof text === "function" ? text(...args) : text;
};
// A rule, report reason or audit action by its name in the API; one the catalogue lacks shows as it is.
const label = (group, name) => TEXT[lang][group][name] || name;
const $ = (selector, root = document) => root.querySelector(selector);
const day = (iso) => (iso ? new Date(iso).toLocaleDateString(lang) : "?");
// A number with its noun in the language's singular or plural (French: 0 and 1 take the singular).
const counted = (n, one, other) => `${n} ${new Intl.PluralRules(lang).select(n) === "one" ? one : other}`;
const handle = (username) => `@${username}`;

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
// What is on screen, as the API gave it: drawn again in the other language on the toggle.
const shownItems = new Map(); // item_id (a string, as in li.dataset.item) -> item
let logEntries = [];
let said = null; // the status line: a TEXT key and its arguments
let banning = null; // what the ban dialog is about: { author, back (the element to return to), done? }

function say(key, ...args) {
  said = key ? [key, ...args] : null;
  $("#status").textContent = said ? t(...said) : "";
}

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("#lang").textContent = lang === "fr" ? "EN" : "FR";
  drawBanDialog();
  document.querySelectorAll("#items > li.item").forEach((li) => fill(li, shownItems.get(li.dataset.item)));
  drawLog();
  say(...(said || []));
}

async function start() {
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
    if (error.status === 401) say("badLogin"); else say("failed", error.message);
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
  } catch (error) { say("failed", error.message); }
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
  $(".outcome", li).textContent = item.decision ? t("decided", item.decision.action) : item.outcome ? label("outcomes", item.outcome) : "";
  const why = $(".why", li);
  why.hidden = !item.held_details.length;
  why.textContent = t("why", item.held_details.map((finding) => explained(TEXT[lang], finding)));
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
  $(".history", li).textContent = t("history", item.author_history);
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
    say("decided", decided.decision.action);
    const next = li.parentElement.querySelector(".item:not(.decided)");
    if (next) select(next); else fetchItems();
  } catch (error) {
    if (error.status !== 409) return say("failed", error.message);
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
  days.replaceChildren(new Option(t("choose"), ""), ...BAN_DAYS.map((n) => new Option(t("days", n), String(n))));
  days.value = chosen;
  if (banning) $("#ban-title").textContent = t("banTitle", handle(banning.author.username));
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
    $("#ban-error").textContent = t("failed", error.message); // the dialog stays, with what was typed
    return;
  }
  $("#ban").close();
  say("banned", handle(author.username), days);
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
    say(locked ? "closedNow" : "reopenedNow", article.title || article.key);
  } catch (error) { say("failed", error.message); }
}

async function showLog(more = false) {
  showView("log");
  try {
    const query = more && logCursor ? `?cursor=${encodeURIComponent(logCursor)}` : "";
    const page = await api("GET", `/api/v1/sites/${encodeURIComponent(site)}/moderation/log${query}`);
    logEntries = more ? logEntries.concat(page.entries) : page.entries;
    logCursor = page.next_cursor;
    drawLog();
  } catch (error) { say("failed", error.message); }
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
  if (entry.comment_id) parts.push(t("comment", entry.comment_id));
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
  return Object.entries(change).map(([name, [before, after]]) => t("changedSetting", label("settingNames", name), value(before), value(after))).join(" · ");
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
    say("unbanned", name);
  } catch (error) {
    if (error.status === 404) say("notBanned", name); else say("failed", error.message);
  }
  await showLog();
}

async function reopen(article) {
  try {
    await api("PUT", `/api/v1/sites/${encodeURIComponent(site)}/articles/lock`, { article: article.key, locked: false });
    say("reopenedNow", article.title || article.key);
  } catch (error) { say("failed", error.message); }
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
  $("#lang").addEventListener("click", () => { lang = lang === "fr" ? "en" : "fr"; translate(); });
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
