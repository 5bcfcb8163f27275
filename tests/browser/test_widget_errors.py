"""Every refusal the widget can meet is said in the reader's language, with the widget's own
sentence: one per reason, else per code and field, else per code. The table below reaches each
one through the widget itself, in French and in English, and is checked against the service's
lists of reasons and codes, as is the catalogue (i18n/widget/ and i18n/widget_forms/)."""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from commentsvc.api.errors import HTTP_ERROR_CODES, OTHER_HTTP_ERROR
from commentsvc.domain.sso import rotate_secret
from commentsvc.errors import Reason, ServiceError
from commentsvc.i18n import DEFAULT_LANGUAGE
from tests.browser.stage import ARTICLE, LANGS, Stage, sentence, staged, widget_words
from tests.builders import PASSWORD, Reader, decide, make_moderator, make_site, moderation_queue, post_comment
from tests.host_site import host_token
from tests.served import serve

# Keys of the catalogue that are neither a reason nor a code: a ban without an end, and the
# sentences by status class for answers that are not the service's own (a proxy's error page).
OTHER_KEYS = {"banned_permanently", "4xx", "5xx"}
# Codes the service has that the widget cannot be answered, with why; the catalogue still words them.
NOT_MET_BY_THE_WIDGET = {
    "internal_error": "a fault of the service, never a refusal the widget could provoke",
    "conflict": "every conflict on the widget's paths has a reason (taken, already_reported)",
    "unprocessable": "the widget sends a new Idempotency-Key with each new text",
    "method_not_allowed": "the widget calls each route with its method",
    "unsupported_media_type": "the widget always sends JSON",
    "too_large": "10,000 characters (maxlength) stay far below the body limit",
    "request_timeout": "the browser sends a whole request at once",
    "headers_too_large": "the widget's headers are a few hundred bytes",
    "http_error": "no other status is raised by the framework on these routes",
}


def every_code() -> set[str]:
    def subclasses(cls: type[ServiceError]) -> set[type[ServiceError]]:
        return {cls}.union(*(subclasses(sub) for sub in cls.__subclasses__()))

    return (
        {cls.code for cls in subclasses(ServiceError)} | set(HTTP_ERROR_CODES.values()) | {OTHER_HTTP_ERROR}
    )


# --- the table: each refusal, reached through the widget ---------------------------------------


@dataclass
class Case:
    key: str  # the catalogue's key: a reason, "code.field" or a code
    path: str
    act: Callable[[Stage], Awaitable[None]]


CASES: dict[str, Case] = {}


def case(key: str, path: str):
    def registered(act: Callable[[Stage], Awaitable[None]]):
        CASES[act.__name__] = Case(key, path, act)
        return act

    return registered


@case("invalid.username", "register")
async def username_not_allowed(stage: Stage) -> None:
    await stage.open()
    await stage.registration(bypass=True, username="ab")


@case("invalid.email", "register")
async def email_not_an_address(stage: Stage) -> None:
    await stage.open()
    await stage.registration(bypass=True, email="pas-une-adresse")


@case("invalid.password", "register")
async def password_too_short(stage: Stage) -> None:
    await stage.open()
    await stage.registration(bypass=True, password="court")


@case("invalid.display_name", "register")
async def display_name_too_long(stage: Stage) -> None:
    await stage.open()
    await stage.registration(bypass=True, display_name="n" * 65)


@case("common_password", "register")
async def password_too_common(stage: Stage) -> None:
    await stage.open()
    await stage.registration(password="qwertyuiop")


@case("taken", "register")
async def username_taken(stage: Stage) -> None:
    other = await stage.reader()
    await stage.open()
    await stage.registration(username=other.username.upper())


@case("looks_like_a_username", "register")
async def display_name_is_another_readers_username(stage: Stage) -> None:
    other = await stage.reader()
    await stage.open()
    await stage.registration(display_name=other.username)


@case("at_sign", "register")
async def display_name_with_an_at_sign(stage: Stage) -> None:
    await stage.open()
    await stage.registration(display_name="Zoé @admin")


@case("forbidden_characters", "register")
async def display_name_with_an_invisible_character(stage: Stage) -> None:
    await stage.open()
    await stage.registration(display_name="Zo\u200bé")


@case("bad_credentials", "login")
async def wrong_password(stage: Stage) -> None:
    reader = await stage.reader()
    await stage.open()
    await stage.account_form("signIn", False, login=reader.username, password="not " + PASSWORD)


@case("invalid.login", "login")
async def no_login(stage: Stage) -> None:
    await stage.open()
    await stage.account_form("signIn", True, password=PASSWORD)


@case("invalid.body", "post")
async def blank_comment(stage: Stage) -> None:
    await stage.open(await stage.reader())
    await stage.publish("   ")


@case("invalid.parent_id", "post")
async def reply_to_a_comment_deleted_meanwhile(stage: Stage) -> None:
    other = await stage.reader()
    theirs = await post_comment(stage.api, other, stage.site, ARTICLE)
    await stage.open(await stage.reader())
    node = stage.comment(theirs["id"])
    await stage.button("reply", node).click()
    deleted = await stage.api.delete(f"/api/v1/comments/{theirs['id']}", headers=other.auth)
    assert deleted.status_code == 204
    await stage.publish("Je réponds quand même.", node)


@case("banned", "post")
async def post_once_banned(stage: Stage) -> None:
    reader = await stage.reader()
    await stage.open(reader)
    await stage.ban(reader, days=3)
    await stage.publish("Et pourtant.")


@case("banned_permanently", "vote")
async def vote_once_banned_for_good(stage: Stage) -> None:
    other, reader = await stage.reader(), await stage.reader()
    theirs = await post_comment(stage.api, other, stage.site, ARTICLE)
    await stage.open(reader)
    await stage.ban(reader)
    await stage.button("up", stage.comment(theirs["id"])).click()


@case("locked", "post")
async def post_once_the_discussion_is_closed(stage: Stage) -> None:
    reader = await stage.reader()
    moderator = await make_moderator(stage.api, stage.db, stage.site)
    await post_comment(stage.api, moderator, stage.site, ARTICLE)
    await stage.open(reader)
    lock = {"article": ARTICLE, "locked": True}
    response = await stage.api.put(
        f"/api/v1/sites/{stage.site}/articles/lock", json=lock, headers=moderator.auth
    )
    assert response.status_code == 200
    await stage.publish("Trop tard ?")


@case("account_gone", "post")
async def post_once_the_account_is_erased(stage: Stage) -> None:
    reader = await stage.reader()
    await stage.open(reader)
    erased = await stage.api.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=reader.auth)
    assert erased.status_code == 204
    await stage.publish("Encore là ?")


@case("session_ended", "refresh")
async def sign_in_ended_elsewhere(stage: Stage) -> None:
    reader = await stage.reader()
    await stage.open(reader)
    # Signed out on another device (the sign-in's tokens revoked), and the access token expired.
    await stage.api.post("/api/v1/auth/logout", json={"refresh_token": reader.refresh_token})
    await stage.store(access="expired", refresh=reader.refresh_token, me=reader)
    await stage.publish("Toujours connecté ?")


@case("unauthorized", "post")
async def access_token_refused_without_a_refresh_token(stage: Stage) -> None:
    reader = await stage.reader()
    await stage.open(reader)
    await stage.store(access="expired", refresh=None, me=reader)
    await stage.publish("Toujours connecté ?")


@case("edit_window_closed", "edit")
async def edit_saved_too_late(stage: Stage) -> None:
    reader = await stage.reader()
    mine = await post_comment(stage.api, reader, stage.site, ARTICLE)
    await stage.open(reader)
    node = stage.comment(mine["id"])
    await stage.button("edit", node).click()
    await stage.db.execute(
        "UPDATE comments SET created_at = now() - interval '2 minutes' WHERE id = $1", mine["id"]
    )
    await stage.publish("Corrigé, mais trop tard.", node)


@case("removed", "edit")
async def edit_of_a_comment_removed_meanwhile(stage: Stage) -> None:
    reader, reporter = await stage.reader(), await stage.reader()
    mine = await post_comment(stage.api, reader, stage.site, ARTICLE)
    await stage.open(reader)
    node = stage.comment(mine["id"])
    await stage.button("edit", node).click()
    report = await stage.api.post(
        f"/api/v1/comments/{mine['id']}/reports", json={"reason": "spam"}, headers=reporter.auth
    )
    assert report.status_code == 202
    moderator = await make_moderator(stage.api, stage.db, stage.site)
    [item] = await moderation_queue(stage.api, stage.site, moderator)
    await decide(stage.api, moderator, item["item_id"], action="reject", reason="hors sujet")
    await stage.publish("Corrigé.", node)


@case("forbidden", "edit")
async def edit_sent_by_the_reader_signed_in_in_another_tab(stage: Stage) -> None:
    reader, other = await stage.reader(), await stage.reader()
    mine = await post_comment(stage.api, reader, stage.site, ARTICLE)
    await stage.open(reader)
    node = stage.comment(mine["id"])
    await stage.button("edit", node).click()
    # Another tab of the same browser signed in as someone else meanwhile.
    await stage.store(access=other.access_token, refresh=other.refresh_token, me=other)
    await stage.publish("Corrigé.", node)


@case("not_found", "vote")
async def vote_on_a_comment_deleted_meanwhile(stage: Stage) -> None:
    other = await stage.reader()
    theirs = await post_comment(stage.api, other, stage.site, ARTICLE)
    await stage.open(await stage.reader())
    assert (await stage.api.delete(f"/api/v1/comments/{theirs['id']}", headers=other.auth)).status_code == 204
    await stage.button("up", stage.comment(theirs["id"])).click()


@case("not_found", "delete")
async def delete_a_comment_deleted_in_another_tab(stage: Stage) -> None:
    reader = await stage.reader()
    mine = await post_comment(stage.api, reader, stage.site, ARTICLE)
    await stage.open(reader)
    assert (await stage.api.delete(f"/api/v1/comments/{mine['id']}", headers=reader.auth)).status_code == 204
    stage.page.once("dialog", lambda dialog: dialog.accept())
    await stage.button("del", stage.comment(mine["id"])).click()


@case("already_reported", "report")
async def report_reported_from_another_tab(stage: Stage) -> None:
    other, reader = await stage.reader(), await stage.reader()
    theirs = await post_comment(stage.api, other, stage.site, ARTICLE)
    await stage.open(reader)
    first = await stage.api.post(
        f"/api/v1/comments/{theirs['id']}/reports", json={"reason": "spam"}, headers=reader.auth
    )
    assert first.status_code == 202
    node = stage.comment(theirs["id"])
    await stage.button("report", node).click()
    await stage.button("report", node.locator("form")).click()


@case("already_appealed", "appeal")
async def appeal_appealed_from_another_tab(stage: Stage) -> None:
    reader, reporter = await stage.reader(), await stage.reader()
    mine = await post_comment(stage.api, reader, stage.site, ARTICLE)
    report = await stage.api.post(
        f"/api/v1/comments/{mine['id']}/reports", json={"reason": "spam"}, headers=reporter.auth
    )
    assert report.status_code == 202
    moderator = await make_moderator(stage.api, stage.db, stage.site)
    [item] = await moderation_queue(stage.api, stage.site, moderator)
    await decide(stage.api, moderator, item["item_id"], action="reject", reason="hors sujet")
    await stage.open(reader)
    node = stage.comment(mine["id"])
    await stage.button("appeal", node).click()
    await node.locator("form.appeal textarea").fill("Relisez-le.")
    first = await stage.api.post(
        f"/api/v1/comments/{mine['id']}/appeal", json={"text": "Relisez-le."}, headers=reader.auth
    )
    assert first.status_code == 202
    await stage.button("appealSend", node).click()


@case("other_site", "post")
async def post_with_another_sites_sso_account(stage: Stage) -> None:
    # A session of the frame's storage, as the widget of a page of another site (with its own
    # host sign-in) would have left it in a browser that shares third-party storage.
    elsewhere = await make_site(stage.db)
    secret = await rotate_secret(stage.db, elsewhere)
    answer = await stage.api.post(
        "/api/v1/auth/sso", json={"site": elsewhere, "token": host_token(secret, elsewhere)}
    )
    pair = answer.json()
    user = pair["user"]
    await stage.open(
        Reader(user["id"], user["username"], "", "", pair["access_token"], pair["refresh_token"])
    )
    await stage.publish("Un commentaire d'un autre site.")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", CASES)
async def test_the_widget_says_each_refusal_in_the_readers_language(browser, db, live_url, name, lang):
    refusal = CASES[name]
    async with staged(browser, live_url, db, lang, edit_window_minutes=1) as stage:
        await refusal.act(stage)
        shown = stage.page.get_by_text(await sentence(stage.page, refusal.key))
        await shown.wait_for()
        if refusal.key in ("banned", "banned_permanently", "locked"):
            # The widget offers no more than the service allows: no text box.
            assert await stage.page.locator("textarea").count() == 0
        if refusal.key.startswith("banned"):
            assert "« hors sujet »" in await shown.inner_text() or "“hors sujet”" in await shown.inner_text()
        if refusal.key == "edit_window_closed":
            assert re.search(r"\b1\sminute\b", await shown.inner_text())


# --- the refusals that need a service of their own: limited, or losing PostgreSQL ----------------


@pytest.fixture(scope="module")
def limited_url(settings, tmp_path_factory) -> Iterator[str]:
    """The service allowing each reader one comment an hour (with Redis keys of its own)."""
    log = tmp_path_factory.mktemp("limited") / "serve.log"
    with serve(
        settings,
        workers=1,
        log=log,
        COMMENTSVC_RATE_LIMIT_POST_USER="1/1h",
        COMMENTSVC_REDIS_PREFIX=settings.redis_prefix + "limited:",
    ) as url:
        yield url


@pytest.mark.parametrize("lang", LANGS)
async def test_a_second_comment_too_soon_says_when_to_try_again(browser, db, limited_url, lang):
    async with staged(browser, limited_url, db, lang) as stage:
        await stage.open(await stage.reader())
        await stage.publish("Un premier commentaire.")
        await stage.page.get_by_text("Un premier commentaire.").wait_for()
        await stage.publish("Un deuxième, trop tôt.")
        shown = stage.page.get_by_text(await sentence(stage.page, "rate_limited"))
        await shown.wait_for()
        assert re.search(r"\d+\s(minutes|heure|hour)\b", await shown.inner_text())


class Relay:
    """A TCP relay to PostgreSQL that a test cuts, as when the database server goes away: the
    service's connections through it break and new ones are refused."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        for end in (self.listener, *self.sockets):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()


@pytest.fixture
def fragile(settings, tmp_path) -> Iterator[tuple[str, Relay]]:
    """The service reaching PostgreSQL through a relay the test can cut."""
    database = urlsplit(settings.database_url)
    relay = Relay(database.hostname or "127.0.0.1", database.port or 5432)
    user = database.netloc.rpartition("@")[0]
    through_relay = database._replace(
        netloc=f"{user}@127.0.0.1:{relay.port}" if user else f"127.0.0.1:{relay.port}"
    )
    with serve(
        dataclasses.replace(settings, database_url=through_relay.geturl()),
        workers=1,
        log=tmp_path / "serve.log",
        COMMENTSVC_REDIS_PREFIX=settings.redis_prefix + "fragile:",
    ) as url:
        yield url, relay
        relay.cut()


@pytest.mark.parametrize("lang", LANGS)
async def test_a_comment_sent_while_the_database_is_away_says_the_service_is_unavailable(
    browser, db, fragile, lang
):
    url, relay = fragile
    async with staged(browser, url, db, lang) as stage:
        await stage.open(await stage.reader())
        relay.cut()
        await stage.publish("Envoyé pendant la panne.")
        await stage.page.get_by_text(await sentence(stage.page, "unavailable")).wait_for()
        assert await stage.page.locator("#account textarea").input_value() == "Envoyé pendant la panne."


@pytest.mark.parametrize("lang", LANGS)
async def test_a_comment_sent_offline_keeps_its_text_and_says_so(browser, db, live_url, lang):
    async with staged(browser, live_url, db, lang) as stage:
        await stage.open(await stage.reader())
        await stage.page.context.set_offline(True)
        await stage.publish("Envoyé hors ligne.")
        await stage.page.get_by_text(stage.words["offline"], exact=True).wait_for()
        assert await stage.page.locator("#account textarea").input_value() == "Envoyé hors ligne."


# --- the catalogue against the service's lists -------------------------------------------------

MET_ELSEWHERE = {"rate_limited", "unavailable"}  # the two tests just above
# Refusals of an e-mailed link's token, met on the account pages (tests/browser/test_account_mail.py).
MET_ON_THE_ACCOUNT_PAGES = {"bad_link"}
MET_ELSEWHERE |= {"sso_refused"}  # a host page's token refused: tests/browser/test_sso.py
# Refusals of a sign-in with an identity provider, said by the popup's page (from this catalogue):
# tests/integration/test_oidc_*.py and tests/browser/test_sign_in_popup.py meet them.
MET_IN_THE_SIGN_IN_POPUP = {
    "state_mismatch",
    "nonce_mismatch",
    "wrong_issuer",
    "wrong_audience",
    "token_expired",
    "bad_signature",
    "provider_refused",
    "bad_identity",
    "no_email",
    "email_in_use",
    "identity_taken",
}


def test_the_table_reaches_every_reason_and_every_code_the_widget_can_meet():
    keys = (
        {c.key for c in CASES.values()} | MET_ELSEWHERE | MET_ON_THE_ACCOUNT_PAGES | MET_IN_THE_SIGN_IN_POPUP
    )
    reasons = {r.value for r in Reason}
    assert reasons <= keys, reasons - keys
    codes = every_code()
    met = {key.split(".")[0] for key in keys if key not in reasons | OTHER_KEYS}
    assert met | set(NOT_MET_BY_THE_WIDGET) == codes
    assert not met & set(NOT_MET_BY_THE_WIDGET)


def test_the_catalogue_has_a_sentence_for_every_reason_and_code():
    """In the reference catalogue; tests/unit/test_catalogues.py holds every other to its keys."""
    errors = widget_words(DEFAULT_LANGUAGE)["errors"]
    reasons = {r.value for r in Reason}
    fields = {key for key in errors if "." in key}
    assert {key.split(".")[0] for key in fields} == {"invalid"}
    assert set(errors) == reasons | every_code() | OTHER_KEYS | fields
