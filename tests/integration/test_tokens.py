"""Forged, expired and misused tokens are refused with 401 and WWW-Authenticate."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from tests.builders import make_site, register, unique_name


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_for(user_id: int, settings, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + 600,
        "iss": settings.public_url,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


FORGERIES = {
    "alg none": lambda c, s: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(c)}.",
    "alg None without signature part": lambda c, s: f"{_b64({'alg': 'None'})}.{_b64(c)}",
    "wrong secret": lambda c, s: jwt.encode(c, "x" * 48, algorithm="HS256"),
    "other HMAC algorithm": lambda c, s: jwt.encode(c, s.jwt_secret, algorithm="HS512"),
    "signature stripped": lambda c, s: jwt.encode(c, s.jwt_secret, algorithm="HS256").rsplit(".", 1)[0] + ".",
    "payload swapped after signing": lambda c, s: ".".join(
        [
            jwt.encode(c, s.jwt_secret, algorithm="HS256").split(".")[0],
            _b64({**c, "sub": "1"}),
            jwt.encode(c, s.jwt_secret, algorithm="HS256").split(".")[2],
        ]
    ),
    "garbage": lambda c, s: "not-a-jwt",
}


# The HS512 forgery signs with the service's 48-byte secret, which PyJWT finds short for
# SHA-512: the point is that the token is refused, whatever its signature's strength.
@pytest.mark.filterwarnings("ignore:The HMAC key is .* below the minimum recommended length")
@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_forged_access_tokens_are_refused(client, settings, forgery):
    reader = await register(client)
    token = FORGERIES[forgery](claims_for(reader.id, settings), settings)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        # Named, not by its times: every test process must collect the same tests.
        pytest.param({"exp": int(time.time()) - 5, "iat": int(time.time()) - 700}, id="expired"),
        {"jti": None},
        {"iat": None},
        {"exp": None},
        {"iss": None},
        {"aud": None},
        {"sub": None},
        {"sub": "not-a-number"},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
async def test_tokens_with_wrong_or_missing_claims_are_refused(client, settings, overrides):
    reader = await register(client)
    token = jwt.encode(claims_for(reader.id, settings, **overrides), settings.jwt_secret, algorithm="HS256")
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_a_correctly_signed_token_is_accepted(client, settings):
    """The forgeries above fail for their flaw, not because the test signs wrongly."""
    reader = await register(client)
    token = jwt.encode(claims_for(reader.id, settings), settings.jwt_secret, algorithm="HS256")
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_expired_token_says_so(client, settings):
    reader = await register(client)
    claims = claims_for(reader.id, settings, exp=int(time.time()) - 1, iat=int(time.time()) - 901)
    token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_refresh_token_is_not_an_access_token(client):
    reader = await register(client)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {reader.refresh_token}"})
    assert response.status_code == 401


async def test_access_token_is_not_a_refresh_token(client):
    reader = await register(client)
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": reader.access_token})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "bearer"])
async def test_malformed_authorization_headers_are_refused(client, header):
    response = await client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


# " {id}": a real reader's id, written as int() would take it but as issue() never writes it.
@pytest.mark.parametrize("subject", ["99999999999999999999", "-1", "0", "1e3", " {id}"])
async def test_a_signed_token_whose_subject_is_not_a_user_id_is_a_401_never_a_500(
    client, db, settings, subject
):
    """Signed with the service's own secret: only the subject is wrong."""
    reader = await register(client)
    site = await make_site(db)
    claims = claims_for(reader.id, settings, sub=subject.format(id=reader.id))
    token = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    auth = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=auth)
    posted = await client.post(
        f"/api/v1/sites/{site}/comments",
        json={"article": unique_name("article"), "body": "Un commentaire"},
        headers=auth,
    )
    for response in (me, posted):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthorized"
