"""Signing in with an OpenID provider from the widget, in Chromium with third-party cookies
blocked: the frame opens the popup, the reader signs in at the provider (the `oidc-provider`
package on loopback), and the popup hands the sign-in to the frame and closes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.browser.dashboard import serious_violations
from tests.builders import make_site
from tests.openid import CLIENT_ID, CLIENT_SECRET, NodeProvider, free_port, signing_key
from tests.served import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service_and_provider(settings, tmp_path_factory) -> Iterator[tuple[str, NodeProvider]]:
    """The service with the Node provider configured (its port chosen first), then the provider
    with the service's callback registered."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("served-oidc") / "serve.log"
    oidc = {
        "COMMENTSVC_OIDC_PROVIDERS": "node",
        "COMMENTSVC_OIDC_NODE_ISSUER": issuer,
        "COMMENTSVC_OIDC_NODE_CLIENT_ID": CLIENT_ID,
        "COMMENTSVC_OIDC_NODE_CLIENT_SECRET": CLIENT_SECRET,
    }
    with serve(settings, workers=1, log=log, **oidc) as url:
        provider = NodeProvider([f"{url}/auth/oidc/node/callback"], port=port)
        provider.start(signing_key("browser"))
        try:
            yield url, provider
        finally:
            provider.stop()


@pytest.mark.parametrize(
    ("lang", "button", "signed_in"),
    [("fr", "Continuer avec Node", "Connecté : "), ("en", "Continue with Node", "Signed in: ")],
)
async def test_a_reader_signs_in_through_the_providers_popup_with_third_party_cookies_blocked(
    strict_browser, service_and_provider, host_pages, db, lang, button, signed_in
):
    url, _ = service_and_provider
    host_pages.service = url
    host_pages.site = await make_site(db, origins=(host_pages.origin,))
    context = await strict_browser.new_context()
    page = await context.new_page()
    await page.goto(host_pages.url("article.html") + ("?lang=en" if lang == "en" else ""))
    frame = page.frame_locator("section.reactions iframe")
    await frame.get_by_role("button", name=button).wait_for()
    # axe on the widget's frame (the host page's own colours are the host's business).
    assert (
        await serious_violations(
            await (await page.query_selector("section.reactions iframe")).content_frame()
        )
        == "[]"
    )

    async with page.expect_popup() as opened:
        await frame.get_by_role("button", name=button).click()
    popup = await opened.value
    await popup.get_by_label("Name").fill(f"popup-{lang}")
    await popup.get_by_role("button", name="Sign in").click()
    await popup.wait_for_event("close")

    await frame.get_by_text(signed_in + f"popup-{lang}").wait_for()
    account = await db.fetchrow(
        "SELECT email, email_verified FROM users WHERE username = $1", f"popup-{lang}"
    )
    assert dict(account) == {"email": f"popup-{lang}@example.test", "email_verified": True}
    # The host page saw no token: the popup posted it to the frame's origin only.
    host_storage = await page.evaluate("() => JSON.stringify({...localStorage}) + document.cookie")
    assert "eyJ" not in host_storage and json.loads(json.dumps(host_storage)) == host_storage
    await context.close()


async def test_a_refused_sign_in_says_why_in_the_readers_language(strict_browser, service_and_provider):
    url, _ = service_and_provider
    context = await strict_browser.new_context(
        locale="en-GB", extra_http_headers={"Accept-Language": "en-GB"}
    )
    page = await context.new_page()
    # An answer to a sign-in this browser never started.
    response = await page.goto(f"{url}/auth/oidc/node/callback?state=forged&code=forged")
    assert response.status == 401
    await page.get_by_role("heading", name="Sign-in refused").wait_for()
    await page.get_by_role("alert").get_by_text("was not started in this browser").wait_for()
    assert await serious_violations(page) == "[]"
    await context.close()
