"""Every sentence of every e-mail, in each language the service writes mail in: one place to
translate, and to see that no language lacks one."""

from __future__ import annotations

from functools import cache

from babel import Locale

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

TEXTS: dict[str, dict[str, str]] = {
    # Between a label and what it labels ("Lien : https://…").
    "colon": {"fr": " : ", "en": ": "},
    "greeting": {"fr": "Bonjour {name},", "en": "Hello {name},"},
    "unsubscribe": {
        "fr": "Pour ne plus recevoir ces e-mails : {url}",
        "en": "To stop receiving these e-mails: {url}",
    },
    "unsubscribe_link": {"fr": "Se désabonner", "en": "Unsubscribe"},
    "automatic": {
        "fr": "Cet e-mail a été envoyé automatiquement ; inutile d'y répondre.",
        "en": "This e-mail was sent automatically; there is no need to answer it.",
    },
    # Moderator alerts and digests (alerts.py, digest.py).
    "list": {"fr": " ; ", "en": "; "},
    "alert_subject": {
        "fr": "{site} : un commentaire attend votre décision",
        "en": "{site}: a comment awaits your decision",
    },
    "waiting_one": {
        "fr": "Sur {site}, 1 commentaire attend une décision.",
        "en": "On {site}, 1 comment awaits a decision.",
    },
    "waiting_many": {
        "fr": "Sur {site}, {count} commentaires attendent une décision.",
        "en": "On {site}, {count} comments await a decision.",
    },
    "held": {"fr": "Retenu : {why}.", "en": "Held: {why}."},
    "reported": {"fr": "Signalé : {reports}.", "en": "Reported: {reports}."},
    "quoted": {"fr": "{author}, sur « {article} »", "en": "{author}, on “{article}”"},
    "erased_author": {"fr": "(compte effacé)", "en": "(erased account)"},
    "alert_rhythm": {
        "fr": "Ces liens sont valables {days} jours. Vous recevez au plus une alerte toutes les {minutes} minutes : ce qui arrive entre-temps attend dans le tableau de bord.",
        "en": "These links work for {days} days. You get at most one alert every {minutes} minutes: what arrives meanwhile waits in the dashboard.",
    },
    "approve": {"fr": "Approuver", "en": "Approve"},
    "reject": {"fr": "Rejeter", "en": "Reject"},
    "dashboard": {"fr": "Ouvrir le tableau de bord", "en": "Open the dashboard"},
    "digest_subject": {
        "fr": "Modération : des commentaires attendent votre décision",
        "en": "Moderation: comments await your decision",
    },
    "digest_intro": {
        "fr": "Voici ce qui attend une décision sur vos sites.",
        "en": "Here is what awaits a decision on your sites.",
    },
    "digest_site": {"fr": "{site} : {count} en attente.", "en": "{site}: {count} waiting."},
    "digest_oldest": {
        "fr": "Les plus anciens, chacun à décider depuis son lien (valable {days} jours) :",
        "en": "The oldest, each to decide from its link (valid for {days} days):",
    },
    "numbered": {"fr": "n° {n} : {quoted}", "en": "#{n}: {quoted}"},
    "decide": {"fr": "Décider du n° {n}", "en": "Decide #{n}"},
    # Why an item is before a moderator (moderation_views.Rule), and readers' report reasons.
    "rule_pre_moderation": {
        "fr": "pré-modération (auteur pas encore de confiance)",
        "en": "pre-moderation (author not trusted yet)",
    },
    "rule_links": {"fr": "trop de liens", "en": "too many links"},
    "rule_blocked_word": {"fr": "un mot bloqué", "en": "a blocked word"},
    "rule_repeated_text": {"fr": "le même texte à nouveau", "en": "the same text again"},
    "rule_burst": {
        "fr": "beaucoup de commentaires d'un compte récent",
        "en": "many comments from a new account",
    },
    "rule_first_comment": {
        "fr": "premier commentaire d'un nouveau lecteur",
        "en": "a new reader's first comment",
    },
    "rule_unverified_email": {"fr": "adresse e-mail non vérifiée", "en": "e-mail address not verified"},
    "rule_reports": {"fr": "signalé par des lecteurs", "en": "reported by readers"},
    "rule_spam_score": {"fr": "score de spam", "en": "spam score"},
    "report_spam": {"fr": "spam", "en": "spam"},
    "report_abuse": {"fr": "propos abusifs", "en": "abuse"},
    "report_off_topic": {"fr": "hors sujet", "en": "off topic"},
    "report_other": {"fr": "autre", "en": "other"},
    "report_note": {"fr": "{reason} (« {note} »)", "en": "{reason} (“{note}”)"},
    # Reply notifications (replies.py). A sentence that counts has a form per plural category of
    # CLDR (say_count): ".one", and ".other" for every other.
    "replies_subject.one": {"fr": "Une réponse à votre commentaire", "en": "A reply to your comment"},
    "replies_subject.other": {
        "fr": "{count} réponses à vos commentaires",
        "en": "{count} replies to your comments",
    },
    "replies_intro.one": {
        "fr": "Une réponse à votre commentaire vient d'être publiée.",
        "en": "A reply to your comment has been published.",
    },
    "replies_intro.other": {
        "fr": "{count} réponses à vos commentaires viennent d'être publiées.",
        "en": "{count} replies to your comments have been published.",
    },
    "reply_heading": {
        "fr": "{author}, en réponse à « {answers} », sur « {article} » ({site})",
        "en": "{author}, replying to “{answers}” on “{article}” ({site})",
    },
    "reply_read": {"fr": "Lire la réponse de {author}", "en": "Read {author}'s reply"},
    # The author of a reply whose account was erased since.
    "anonymous": {"fr": "Anonyme", "en": "Anonymous"},
    # The page a link to unsubscribe opens (a GET never unsubscribes), and the one that says it is done.
    "unsubscribe_ask.replies": {
        "fr": "Ne plus recevoir d'e-mail quand quelqu'un répond à vos commentaires ?",
        "en": "Stop the e-mails about replies to your comments?",
    },
    "unsubscribe_ask.moderation": {
        "fr": "Ne plus recevoir d'alerte quand un commentaire attend la modération ?",
        "en": "Stop the alerts about comments awaiting moderation?",
    },
    "unsubscribed.replies": {
        "fr": "C'est fait : vous ne recevrez plus d'e-mail quand quelqu'un répond à vos commentaires.",
        "en": "Done: you will no longer get e-mails about replies to your comments.",
    },
    "unsubscribed.moderation": {
        "fr": "C'est fait : vous ne recevrez plus d'alerte de modération.",
        "en": "Done: you will no longer get moderation alerts.",
    },
    # An appeal's outcome, told to the comment's author (appeals.py).
    "appeal_reinstated_subject": {
        "fr": "{site} : votre recours est accepté, votre commentaire est rétabli",
        "en": "{site}: your appeal is accepted, your comment is reinstated",
    },
    "appeal_upheld_subject": {
        "fr": "{site} : votre recours est rejeté, le retrait de votre commentaire est maintenu",
        "en": "{site}: your appeal is rejected, your comment stays removed",
    },
    "appeal_reinstated": {
        "fr": "Un modérateur de {site} a réexaminé votre commentaire sur « {article} », comme vous l'aviez "
        "demandé : il est de nouveau publié.",
        "en": "A moderator of {site} looked at your comment on “{article}” again, as you asked: it is "
        "published again.",
    },
    "appeal_upheld": {
        "fr": "Un modérateur de {site} a réexaminé votre commentaire sur « {article} », comme vous l'aviez "
        "demandé : son retrait est maintenu.",
        "en": "A moderator of {site} looked at your comment on “{article}” again, as you asked: its "
        "removal stands.",
    },
    "appeal_reason": {
        "fr": "Motif de la décision : {reason}",
        "en": "The reason for this decision: {reason}",
    },
    "appeal_quoted": {"fr": "Votre commentaire", "en": "Your comment"},
    "appeal_read": {"fr": "Voir le commentaire", "en": "See the comment"},
    # The account's own e-mails (letters/accounts.py): each has a subject, two paragraphs and,
    # where it has a link, the link's label.
    "verify_subject": {"fr": "Confirmez votre adresse e-mail", "en": "Confirm your e-mail address"},
    "verify_1": {
        "fr": "Pour confirmer que {email} est bien l'adresse de votre compte {username}, suivez le lien "
        "ci-dessous : il reste valable 48 heures.",
        "en": "To confirm that {email} is the address of your account {username}, follow the link below: "
        "it is valid for 48 hours.",
    },
    "verify_2": {
        "fr": "Si vous n'avez pas créé ce compte, ignorez cet e-mail.",
        "en": "If you did not create this account, ignore this e-mail.",
    },
    "verify_action": {"fr": "Confirmer mon adresse", "en": "Confirm my address"},
    "new_address_subject": {
        "fr": "Confirmez votre nouvelle adresse e-mail",
        "en": "Confirm your new e-mail address",
    },
    "new_address_1": {
        "fr": "Vous avez demandé que {email} devienne l'adresse de votre compte {username}. Elle le "
        "deviendra quand vous aurez suivi le lien ci-dessous, valable 48 heures.",
        "en": "You asked for {email} to become the address of your account {username}. It will once you "
        "follow the link below, valid for 48 hours.",
    },
    "new_address_2": {
        "fr": "Si vous n'avez rien demandé, ignorez cet e-mail : l'adresse du compte ne change pas.",
        "en": "If you asked for nothing, ignore this e-mail: the account's address does not change.",
    },
    "new_address_action": {"fr": "Confirmer cette adresse", "en": "Confirm this address"},
    "reset_subject": {"fr": "Choisissez un nouveau mot de passe", "en": "Choose a new password"},
    "reset_1": {
        "fr": "Quelqu'un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte "
        "{username}. Le lien ci-dessous reste valable une heure et ne sert qu'une fois.",
        "en": "Someone, most likely you, asked to reset the password of your account {username}. The "
        "link below is valid for one hour and works once.",
    },
    "reset_2": {
        "fr": "Si vous n'avez rien demandé, ignorez cet e-mail : votre mot de passe ne change pas.",
        "en": "If you asked for nothing, ignore this e-mail: your password does not change.",
    },
    "reset_action": {"fr": "Choisir un nouveau mot de passe", "en": "Choose a new password"},
    "password_changed_subject": {
        "fr": "Votre mot de passe a été modifié",
        "en": "Your password was changed",
    },
    "password_changed_1": {
        "fr": "Le mot de passe de votre compte {username} vient d'être modifié, et vos autres sessions "
        "ont été fermées.",
        "en": "The password of your account {username} was just changed, and your other sessions were "
        "signed out.",
    },
    "password_changed_2": {
        "fr": "Si ce n'est pas vous, choisissez-en un nouveau sans attendre :",
        "en": "If this was not you, choose a new one at once:",
    },
    "password_changed_action": {"fr": "Réinitialiser mon mot de passe", "en": "Reset my password"},
    "email_changed_subject": {
        "fr": "L'adresse de votre compte a changé",
        "en": "The address of your account was changed",
    },
    "email_changed_1": {
        "fr": "L'adresse e-mail de votre compte {username} est désormais {email}. Les prochains "
        "e-mails du compte iront à celle-ci.",
        "en": "The e-mail address of your account {username} is now {email}. The account's next "
        "e-mails will go there.",
    },
    "email_changed_2": {
        "fr": "Si ce n'est pas vous, votre compte est peut-être entre d'autres mains : prévenez les "
        "responsables du site où vous commentez.",
        "en": "If this was not you, someone else may hold your account: tell the people who run the "
        "site you comment on.",
    },
}


def say(language: str, sentence: str, **values: object) -> str:
    """The sentence named ``sentence`` in ``language`` (the default language's if it has none), with its
    placeholders filled."""
    sentences = TEXTS[sentence]
    return sentences.get(language, sentences[DEFAULT_LANGUAGE]).format(**values)


def say_count(language: str, sentence: str, count: int, **values: object) -> str:
    """The form of the sentence ``sentence`` that ``count`` takes in ``language`` (its plural
    category, by CLDR's rules: French says "1 réponse" and "0 réponse", English "0 replies")."""
    form = f"{sentence}.{_plural_category(language, count)}"
    return say(language, form if form in TEXTS else f"{sentence}.other", count=count, **values)


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def _plural_category(language: str, count: int) -> str:
    return _locale(language if language in LANGUAGES else DEFAULT_LANGUAGE).plural_form(count)


def language_of(accept_language: str | None) -> str:
    """The first language of an Accept-Language header that mail is written in; else the default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:
            return tag[:2]
    return DEFAULT_LANGUAGE
