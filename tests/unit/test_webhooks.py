"""Webhooks without I/O: the Standard Webhooks signature, how long deliveries are retried, and
which addresses a webhook may reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from commentsvc.domain.webhooks.sender import WEBHOOK_RETRIES
from commentsvc.domain.webhooks.signing import headers, new_secret, payload, signature
from commentsvc.model.events import Event, EventType
from commentsvc.webhooks.addresses import ForbiddenAddress, check_literal, is_public


def test_the_signature_is_the_one_of_the_standard_webhooks_example():
    # The example of the Standard Webhooks specification: its secret, message, time and body.
    signed = signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_delivery_names_its_event_and_carries_its_site_and_article():
    event = Event(
        7, EventType.COMMENT_APPROVED, 1, "news", "a-story", datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        {"id": 3, "parent_id": None, "status": "approved", "previous_status": "pending"},
    )  # fmt: skip
    body = payload(event)
    assert msgspec.json.decode(body) == {
        "type": "comment.approved",
        "timestamp": "2026-11-25T09:30:00Z",
        "data": {
            "id": 3, "parent_id": None, "status": "approved", "previous_status": "pending",
            "site": "news", "article": "a-story",
        },
    }  # fmt: skip
    secret = new_secret()
    sent = headers(secret, event, body, 1764063000)
    assert sent["webhook-id"] == "7" and sent["webhook-timestamp"] == "1764063000"
    assert sent["webhook-signature"] == signature(secret, "7", 1764063000, body)


def test_deliveries_are_retried_for_more_than_a_day_from_5_seconds_up_to_an_hour_apart():
    assert WEBHOOK_RETRIES.delay(1) == timedelta(seconds=5)
    assert WEBHOOK_RETRIES.delay(2) == timedelta(seconds=10)
    assert WEBHOOK_RETRIES.delay(WEBHOOK_RETRIES.attempts - 1) == timedelta(hours=1)
    assert timedelta(hours=24) <= WEBHOOK_RETRIES.span <= timedelta(hours=26)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254",
        "0.0.0.0", "255.255.255.255", "224.0.0.251", "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1", "2001:db8::1",
    ],
)  # fmt: skip
def test_loopback_private_link_local_and_other_special_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_global_unicast_addresses_are_public(address):
    assert is_public(address)


def test_a_literal_address_in_a_url_is_checked_and_a_name_is_left_to_the_resolver():
    with pytest.raises(ForbiddenAddress, match="::1 is not a public address"):
        check_literal("[::1]")
    check_literal("[2606:4700:4700::1111]")
    check_literal("hooks.example.org")
