"""Host-site SSO in the browser: the host page (its own site, its own session cookie) hands its
reader's token to the comments' frame through data-sso-url, with third-party cookies blocked."""

from __future__ import annotations

import pytest

from tests.browser.dashboard import serious_violations
from tests.browser.stage import LANGS, sentence
from tests.builders import make_site, unique_name
from tests.host_site import host_site, rotate_secret
from tests.served import free_port


async def test_the_host_pages_reader_comments_without_signing_in_again(
    strict_browser, db, settings, live_url
):
    port = free_port()
    host_origin = f"http://localhost:{port}"  # another site than the service's 127.0.0.1
    site = await make_site(db, origins=(host_origin,))
    secret = rotate_secret(settings, site)
    with host_site(settings, site, secret, live_url, port=port):
        context = await strict_browser.new_context()
        page = await context.new_page()
        page.set_default_timeout(10_000)
        await page.goto(f"{host_origin}/demo/sso.html")
        frame = page.frame_locator("iframe")
        # Nobody signed in on the host: the widget sends readers to the host's sign-in page.
        sign_in = frame.get_by_role("link", name="Sign in")
        assert await sign_in.get_attribute("href") == f"{host_origin}/login"
        assert await frame.locator("input[type=password]").count() == 0
        widget = await (await page.query_selector("iframe")).content_frame()
        assert await serious_violations(widget) == "[]"
        await sign_in.click()
        name = unique_name("Camille ")
        await page.get_by_label("Your name").fill(name)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{host_origin}/demo/sso.html")
        await frame.get_by_text(f"Signed in: {name}").wait_for()
        widget = await (await page.query_selector("iframe")).content_frame()
        assert await serious_violations(widget) == "[]"
        await frame.locator("textarea[name=body]").fill("Posted with the host's sign-in.")
        await frame.get_by_role("button", name="Post").click()
        await frame.locator("article.comment").filter(has_text="Posted with the host's sign-in.").wait_for()
        assert await frame.locator("article.comment strong").first.inner_text() == name
        assert "token" not in page.frames[1].url
        # Signing out goes to the host's page, which ends both sign-ins.
        await frame.get_by_role("link", name="Sign out").click()
        await page.wait_for_url(f"{host_origin}/demo/sso.html")
        await frame.get_by_role("link", name="Sign in").wait_for()
        await context.close()
    author = await db.fetchval(
        "SELECT u.username FROM comments c JOIN users u ON u.id = c.author_id WHERE c.body = $1",
        "Posted with the host's sign-in.",
    )
    assert author.startswith(f"{site}:")


@pytest.mark.parametrize("lang", LANGS)
async def test_a_token_the_service_refuses_is_said_in_the_widget_and_nobody_is_signed_in(
    strict_browser, db, settings, live_url, lang
):
    port = free_port()
    host_origin = f"http://localhost:{port}"
    site = await make_site(db, origins=(host_origin,))
    rotate_secret(settings, site)
    # The host signs with a secret that is not the site's (mistyped, or retired long ago).
    with host_site(settings, site, "not the site's secret, long enough all the same", live_url, port=port):
        context = await strict_browser.new_context(locale="fr-FR" if lang == "fr" else "en-US")
        page = await context.new_page()
        page.set_default_timeout(10_000)
        await page.goto(f"{host_origin}/login")
        await page.locator("input[name=name]").fill(unique_name("Zoé "))
        await page.locator("button").click()
        await page.goto(f"{host_origin}/demo/sso.html?lang={lang}")
        frame = page.frame_locator("iframe")
        await frame.locator("#count").wait_for()
        widget = page.frames[1]
        await frame.get_by_text(await sentence(widget, "sso_refused")).wait_for()
        sign_in = await widget.evaluate("() => MESSAGES[document.documentElement.lang].signIn")
        assert await frame.get_by_role("link", name=sign_in).get_attribute("href") == f"{host_origin}/login"
        assert await frame.locator("textarea").count() == 0
        await context.close()
