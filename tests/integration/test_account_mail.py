"""The account's e-mails through a real SMTP server: an address verified, a forgotten password
reset, each link's token single-use and short-lived; odd addresses and hostile names."""

from __future__ import annotations

import time

import pytest

from commentsvc.config import RateLimit
from commentsvc.domain.account_changes import FORGOT_TAKES
from tests.account_mail import link_in, mail_about
from tests.builders import PASSWORD, Reader, register, registration, unique_name
from tests.conftest import open_client
from tests.integration.test_rate_limits import tight

NEW_PASSWORD = "another long passphrase, this one"
VERIFY_FR = "Confirmez votre adresse e-mail"
RESET_FR = "Choisissez un nouveau mot de passe"
BAD_LINK = {"status_code": 400, "code": "invalid", "field": "token", "reason": "bad_link"}


def refusal(response) -> dict:
    body = response.json()
    return {key: body.get(key) for key in BAD_LINK}


async def me(client, reader) -> dict:
    response = await client.get("/api/v1/me", headers=reader.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def test_registration_mails_a_link_that_verifies_the_address_once(client, mailbox, db):
    # Links are built from the public URL, never from the request's Host header.
    body = registration()
    answer = await client.post("/api/v1/auth/register", json=body, headers={"Host": "evil.example"})
    assert answer.status_code == 201, answer.text
    reader = Reader(
        answer.json()["user"]["id"],
        str(body["username"]),
        str(body["email"]),
        PASSWORD,
        answer.json()["access_token"],
        answer.json()["refresh_token"],
    )
    assert (await me(client, reader))["email_verified"] is False
    received = await mail_about(mailbox, reader.email, VERIFY_FR)
    link = link_in(received)
    assert (link.page, link.lang) == ("/account/verify", "fr")
    assert link.url.startswith("http") and "evil.example" not in received.message.as_string()
    event_id = await db.fetchval(
        "SELECT id FROM events WHERE type = 'account.registered' AND data->>'user_id' = $1", str(reader.id)
    )
    assert received.message["Message-ID"] == f"<account.{event_id}@commentsvc.test>"
    assert received.message["List-Unsubscribe"] is None  # the account's own mail: not a notification

    assert (await client.post("/api/v1/auth/email/verify", json={"token": link.token})).status_code == 204
    assert (await me(client, reader))["email_verified"] is True
    again = await client.post("/api/v1/auth/email/verify", json={"token": link.token})
    assert refusal(again) == BAD_LINK


async def test_a_reader_whose_browser_speaks_english_gets_english_mail(client, mailbox):
    body = registration()
    response = await client.post(
        "/api/v1/auth/register", json=body, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}
    )
    assert response.status_code == 201, response.text
    received = await mail_about(mailbox, str(body["email"]), "Confirm your e-mail address")
    assert link_in(received).lang == "en"
    assert "Hello " in received.part("plain")


async def test_the_events_and_the_database_hold_no_token(client, mailbox, db):
    reader = await register(client)
    token = link_in(await mail_about(mailbox, reader.email, VERIFY_FR)).token
    data = await db.fetchval(
        "SELECT data::text FROM events WHERE type = 'account.registered' AND data->>'user_id' = $1",
        str(reader.id),
    )
    stored = await db.fetchrow("SELECT * FROM account_tokens WHERE user_id = $1", reader.id)
    assert token not in data and token.split(".")[1] not in data
    assert token.encode() not in b"".join(str(value).encode() for value in stored.values())


async def test_the_forgotten_password_journey(client, mailbox):
    reader = await register(client)
    other_session = (
        await client.post("/api/v1/auth/login", json={"login": reader.username, "password": PASSWORD})
    ).json()
    forgot = await client.post("/api/v1/auth/password/forgot", json={"email": reader.email.upper()})
    assert forgot.status_code == 202
    link = link_in(await mail_about(mailbox, reader.email, RESET_FR))
    assert (link.page, link.lang) == ("/account/reset", "fr")

    reset = await client.post(
        "/api/v1/auth/password/reset", json={"token": link.token, "password": NEW_PASSWORD}
    )
    assert reset.status_code == 204, reset.text
    for refresh_token in (reader.refresh_token, other_session["refresh_token"]):
        refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
        assert refused.status_code == 401
    old = await client.post("/api/v1/auth/login", json={"login": reader.username, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/api/v1/auth/login", json={"login": reader.username, "password": NEW_PASSWORD})
    assert new.status_code == 200
    # Told, as for any change of password.
    await mail_about(mailbox, reader.email, "Votre mot de passe a été modifié")

    again = await client.post(
        "/api/v1/auth/password/reset", json={"token": link.token, "password": "yet another passphrase"}
    )
    assert refusal(again) == BAD_LINK


async def test_a_reset_link_past_its_hour_is_refused_and_changes_nothing(client, mailbox, db):
    reader = await register(client)
    await client.post("/api/v1/auth/password/forgot", json={"email": reader.email})
    link = link_in(await mail_about(mailbox, reader.email, RESET_FR))
    lifetime = await db.fetchval(
        "SELECT expires_at - created_at FROM account_tokens WHERE id = $1", int(link.token.split(".")[0])
    )
    assert lifetime.total_seconds() == 3600
    await db.execute(
        "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
        int(link.token.split(".")[0]),
    )
    expired = await client.post(
        "/api/v1/auth/password/reset", json={"token": link.token, "password": NEW_PASSWORD}
    )
    assert refusal(expired) == BAD_LINK
    still = await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.refresh_token})
    assert still.status_code == 200


async def test_a_reset_token_is_not_a_verification_token_nor_the_reverse(client, mailbox):
    reader = await register(client)
    verify = link_in(await mail_about(mailbox, reader.email, VERIFY_FR)).token
    await client.post("/api/v1/auth/password/forgot", json={"email": reader.email})
    reset = link_in(await mail_about(mailbox, reader.email, RESET_FR)).token
    as_reset = await client.post(
        "/api/v1/auth/password/reset", json={"token": verify, "password": NEW_PASSWORD}
    )
    as_verify = await client.post("/api/v1/auth/email/verify", json={"token": reset})
    assert refusal(as_reset) == refusal(as_verify) == BAD_LINK


@pytest.mark.parametrize(
    "token",
    ["", "x", "1.", ".abc", "1.abc", "01.abc", "99999999999999999999.abc", "1.abc\x00", "٣.abc", "t" * 1025],
)
async def test_a_token_that_is_not_one_is_refused_naming_the_field(client, token):
    for path, body in (
        ("/api/v1/auth/password/reset", {"token": token, "password": NEW_PASSWORD}),
        ("/api/v1/auth/email/verify", {"token": token}),
    ):
        response = await client.post(path, json=body)
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "token"


async def test_a_new_password_is_checked_as_at_registration_and_the_token_is_kept(client, mailbox):
    reader = await register(client)
    await client.post("/api/v1/auth/password/forgot", json={"email": reader.email})
    link = link_in(await mail_about(mailbox, reader.email, RESET_FR))
    for password, reason in (("short", None), ("qwertyuiop", "common_password")):
        response = await client.post(
            "/api/v1/auth/password/reset", json={"token": link.token, "password": password}
        )
        assert (response.status_code, response.json()["field"], response.json().get("reason")) == (
            400,
            "password",
            reason,
        )
    good = await client.post(
        "/api/v1/auth/password/reset", json={"token": link.token, "password": NEW_PASSWORD}
    )
    assert good.status_code == 204


async def test_an_unknown_address_gets_the_same_answer_and_nothing_is_written(client, db):
    reader = await register(client)
    unknown = f"{unique_name('ghost')}@example.org"

    async def ask(email: str) -> tuple[float, int, dict]:
        started = time.perf_counter()
        response = await client.post("/api/v1/auth/password/forgot", json={"email": email})
        return time.perf_counter() - started, response.status_code, response.json()

    known_answers = [await ask(reader.email) for _ in range(5)]
    unknown_answers = [await ask(unknown) for _ in range(5)]
    assert {(status, str(body)) for _, status, body in known_answers + unknown_answers} == {
        (202, str(known_answers[0][2]))
    }
    assert await db.fetchval("SELECT count(*) FROM account_tokens WHERE lower(email) = $1", unknown) == 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM account_tokens WHERE user_id = $1 AND purpose = 'reset'", reader.id
        )
        == 5
    )
    # Both wait out the same floor, far longer than the one event a known address writes.
    assert min(t for t, _, _ in known_answers + unknown_answers) >= FORGOT_TAKES


async def test_reset_requests_are_limited_per_address_asked_for(settings):
    async with open_client(tight(settings, forgot_email=RateLimit(2, 3600))) as client:
        reader = await register(client)
        asked = [
            (await client.post("/api/v1/auth/password/forgot", json={"email": email})).status_code
            for email in (reader.email, reader.email.upper(), reader.email.capitalize())
        ]
        other = await client.post(
            "/api/v1/auth/password/forgot", json={"email": f"{unique_name()}@example.org"}
        )
    assert asked == [202, 202, 429]
    assert other.status_code == 202


async def test_the_verification_mail_again_is_rate_limited_and_not_sent_once_verified(settings, mailbox, db):
    async with open_client(tight(settings, verification_user=RateLimit(2, 3600))) as client:
        reader = await register(client)
        first = link_in(await mail_about(mailbox, reader.email, VERIFY_FR))
        again = await client.post("/api/v1/me/email/verification", headers=reader.auth)
        assert again.status_code == 202
        second = link_in(await mail_about(mailbox, reader.email, VERIFY_FR, count=2))
        assert second.token != first.token
        # A newer link spent, the older ones go with it.
        assert (
            await client.post("/api/v1/auth/email/verify", json={"token": second.token})
        ).status_code == 204
        old = await client.post("/api/v1/auth/email/verify", json={"token": first.token})
        assert refusal(old) == BAD_LINK
        verified = await client.post("/api/v1/me/email/verification", headers=reader.auth)
        limited = await client.post("/api/v1/me/email/verification", headers=reader.auth)
    assert verified.status_code == 202 and verified.json() == again.json()
    assert limited.status_code == 429
    assert (
        await db.fetchval(
            "SELECT count(*) FROM events WHERE type = 'account.verification_requested' AND data->>'user_id' = $1",
            str(reader.id),
        )
        == 1
    )


@pytest.mark.parametrize("email", ["o'brien+tag@example.org", "user@[127.0.0.1]", "a.b-c@sub.example.co.uk"])
async def test_odd_but_valid_addresses_register_and_get_their_mail(client, mailbox, email):
    address = f"{unique_name()}.{email}"
    reader = await register(client, email=address)
    received = await mail_about(mailbox, address, VERIFY_FR)
    assert received.envelope_to == (address,)
    token = link_in(received).token
    assert (await client.post("/api/v1/auth/email/verify", json={"token": token})).status_code == 204
    assert (await me(client, reader))["email_verified"] is True


# Addresses mail would rewrite (a quoted local part loses its quotes in a header) or that need
# SMTPUTF8, which relays do not all offer: refused, so that every account can be written to.
@pytest.mark.parametrize(
    "email", ['"odd..dots"@example.org', "odd..dots@example.org", "zoé@example.org", "a@exämple.org"]
)
async def test_addresses_mail_cannot_carry_as_written_are_refused_naming_the_field(client, db, email):
    response = await client.post("/api/v1/auth/register", json=registration(email=email))
    assert (response.status_code, response.json()["field"]) == (400, "email")
    assert await db.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0


async def test_a_line_break_in_a_display_name_reaches_no_header(client, mailbox):
    for name in ("Eve\r\nX-Injected: yes", "Eve\nX-Injected: yes", "Eve\x85X-Injected: yes"):
        refused = await client.post("/api/v1/auth/register", json=registration(display_name=name))
        assert (refused.status_code, refused.json()["field"]) == (400, "display_name")
    # Unicode's own line and paragraph separators are allowed in a name, never a header's end.
    reader = await register(client, display_name="Eve\u2028X-Injected: yes\u2029Reply-To: evil")
    received = await mail_about(mailbox, reader.email, VERIFY_FR)
    assert received.message["X-Injected"] is None and received.message["Reply-To"] is None
    assert received.envelope_to == (reader.email,)
    assert str(received.message["To"]) == f'"Eve X-Injected: yes Reply-To: evil" <{reader.email}>'


async def test_an_oversized_body_is_refused_before_anything_is_done(client, db):
    before = await db.fetchval("SELECT count(*) FROM account_tokens")
    huge = {"email": "a" * 200_000 + "@example.org"}
    response = await client.post("/api/v1/auth/password/forgot", json=huge)
    assert response.status_code == 413
    too_long = await client.post("/api/v1/auth/password/forgot", json={"email": "a" * 250 + "@example.org"})
    assert (too_long.status_code, too_long.json()["field"]) == (400, "email")
    assert await db.fetchval("SELECT count(*) FROM account_tokens") == before
