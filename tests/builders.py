"""Builders for the things tests need: readers, tokens, sites."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import httpx

PASSWORD = "a long and unusual passphrase"
_serial = itertools.count(1)


def unique_name(stem: str = "reader") -> str:
    return f"{stem}{next(_serial)}_{uuid.uuid4().hex[:6]}"


@dataclass
class Reader:
    id: int
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def registration(**overrides: object) -> dict[str, object]:
    username = str(overrides.pop("username", unique_name()))
    body: dict[str, object] = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
    body.update(overrides)
    return body


async def register(client: httpx.AsyncClient, **overrides: object) -> Reader:
    body = registration(**overrides)
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Reader(
        id=data["user"]["id"],
        username=str(body["username"]),
        email=str(body["email"]),
        password=str(body["password"]),
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
    )
