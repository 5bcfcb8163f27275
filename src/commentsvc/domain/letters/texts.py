"""Every sentence of every e-mail, in each language the service writes mail in: one place to
translate, and to see that no language lacks one."""

from __future__ import annotations

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


def language_of(accept_language: str | None) -> str:
    """The first language of an Accept-Language header that mail is written in; else the default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:
            return tag[:2]
    return DEFAULT_LANGUAGE
