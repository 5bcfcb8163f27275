"""A reader's account e-mails in Chromium: a forgotten password, from the widget's sign-in form
to the reset page the e-mail's link opens; an address verified from the widget's notice."""

from __future__ import annotations

import httpx

from tests.account_mail import link_in, mail_about
from tests.browser.stage import open_article
from tests.builders import register

NEW_PASSWORD = "un tout autre mot de passe"


def served(url: str, live_url: str) -> str:
    """The link on the served instance: any process on the tests' database may have written the
    e-mail, with its own public URL (the in-process service's is not reachable by a browser)."""
    return live_url + url[url.index("/account/") :]


async def test_a_forgotten_password_is_reset_from_the_widget_to_the_page_in_french(
    browser, demo, live_url, mailbox, artifacts
):
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
    context, page, frame = await open_article(browser, demo)
    await frame.get_by_role("button", name="Connectez-vous").click()
    await frame.get_by_role("button", name="Mot de passe oublié ?").click()
    await frame.get_by_label("E-mail").fill(reader.email)
    await frame.get_by_role("button", name="Recevoir un lien").click()
    await frame.get_by_text(
        "Si un compte existe pour cette adresse, un e-mail vient d'être envoyé."
    ).wait_for()

    received = await mail_about(mailbox, reader.email, "Choisissez un nouveau mot de passe")
    assert "Le lien ci-dessous reste valable une heure" in received.part("plain")
    link = link_in(received)
    assert link.lang == "fr"
    reset = await context.new_page()
    reset.set_default_timeout(10_000)
    await reset.goto(served(link.url, live_url))
    await reset.get_by_role("heading", name="Choisir un nouveau mot de passe").wait_for()
    await reset.get_by_label("Nouveau mot de passe (10 caractères au moins)").fill(NEW_PASSWORD)
    await reset.get_by_role("button", name="Enregistrer le mot de passe").click()
    await reset.get_by_text("Votre mot de passe est changé").wait_for()
    await reset.screenshot(path=str(artifacts / "account-reset-done-fr.png"), full_page=True)

    # Spent: the same link again says so, and offers a new one.
    await reset.goto(served(link.url, live_url))
    await reset.get_by_label("Nouveau mot de passe (10 caractères au moins)").fill(
        "encore un autre mot de passe"
    )
    await reset.get_by_role("button", name="Enregistrer le mot de passe").click()
    await reset.get_by_text("Ce lien n'est plus valable").wait_for()
    await reset.get_by_role("button", name="Recevoir un lien").wait_for()

    await page.bring_to_front()
    await frame.get_by_role("button", name="Annuler").click()  # back to the sign-in form
    await frame.get_by_label("Nom d'utilisateur ou e-mail").fill(reader.username)
    await frame.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    await frame.get_by_role("button", name="Se connecter").click()
    await frame.get_by_text("Connecté : ").wait_for()
    await context.close()


async def test_an_unverified_reader_sends_the_email_again_and_confirms_it(browser, demo, live_url, mailbox):
    context, page, frame = await open_article(browser, demo)
    async with httpx.AsyncClient(base_url=live_url) as api:
        reader = await register(api)
    await frame.get_by_role("button", name="Connectez-vous").click()
    await frame.get_by_label("Nom d'utilisateur ou e-mail").fill(reader.username)
    await frame.get_by_label("Mot de passe").fill(reader.password)
    await frame.get_by_role("button", name="Se connecter").click()
    await frame.get_by_text("Vérifiez votre adresse e-mail").wait_for()
    await frame.get_by_role("button", name="Renvoyer l'e-mail").click()
    await frame.get_by_text("E-mail envoyé").wait_for()
    received = await mail_about(mailbox, reader.email, "Confirmez votre adresse e-mail", count=2)

    verify = await context.new_page()
    verify.set_default_timeout(10_000)
    await verify.goto(served(link_in(received).url, live_url))
    await verify.get_by_role("button", name="Confirmer").click()
    await verify.get_by_text("Votre adresse e-mail est confirmée.").wait_for()

    await page.reload()
    frame = page.frame_locator("section.reactions iframe")
    await frame.get_by_text("Connecté : ").wait_for()
    await frame.get_by_role("textbox", name="Votre commentaire (Markdown)").wait_for()
    # The box may first be drawn from the reader's account as this browser kept it, then again once
    # the service has said it is verified: the banner goes then.
    await frame.get_by_text("Vérifiez votre adresse e-mail").wait_for(state="detached")
    assert await frame.get_by_text("Vérifiez votre adresse e-mail").count() == 0
    await context.close()
