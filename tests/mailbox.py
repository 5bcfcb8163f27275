"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts, optionally with
STARTTLS (a certificate from a throwaway authority) and AUTH; it can be stopped and started again
on the same port, as a relay that is gone for a while."""

from __future__ import annotations

import email
import email.policy
import re
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.builders import eventually
from tests.served import free_port

# A link in a plain-text part, after its label: "Approuver : http://…", "Approve: http://…".
LABELLED_LINK = re.compile(r"^(?P<label>.+?) ?: (?P<url>https?://\S+)\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Received:
    envelope_to: tuple[str, ...]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.envelope_to[0]

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return body.get_content()

    @property
    def key(self) -> str:
        """What caused it (``alert.<event>.<user>``, ``digest.<user>.<day>``): its Message-ID's left part."""
        return self.message["Message-ID"].strip("<>").split("@")[0]

    def links(self) -> list[tuple[str, str]]:
        """Its links with their labels, in order, each as a path and query: the service whose
        public URL they carry may be another process than the one a test talks to."""
        found = []
        for match in LABELLED_LINK.finditer(self.part("plain")):
            url = urlsplit(match["url"])
            found.append((match["label"], url.path + (f"?{url.query}" if url.query else "")))
        return found


class _Keep:
    def __init__(self, box: Mailbox) -> None:
        self._box = box

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 (aiosmtpd's hook)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._box._lock:
            self._box._received.append(Received(tuple(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"


class Mailbox:
    def __init__(self, tls_dir: Path | None = None, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._login = login
        # With a certificate directory, STARTTLS is required, with a certificate of an authority
        # made for the test, written to ca_file for the client to trust.
        self.ca_file: Path | None = None
        self._authority: trustme.CA | None = None
        if tls_dir is not None:
            self._authority = trustme.CA()
            self.ca_file = tls_dir / "ca.pem"
            self._authority.cert_pem.write_to_path(str(self.ca_file))
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        credentials = f"{self._login[0]}:{self._login[1]}@" if self._login else ""
        query = "?starttls=true" if self.ca_file is not None else ""
        return f"smtp://{credentials}127.0.0.1:{self.port}{query}"

    def start(self) -> None:
        tls_context = None
        if self._authority is not None:
            tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._authority.issue_cert("127.0.0.1", "localhost").configure_cert(tls_context)
        self._controller = Controller(
            _Keep(self),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=tls_context,
            require_starttls=tls_context is not None,
            authenticator=self._authenticate if self._login else None,
            auth_required=self._login is not None,
            auth_require_tls=tls_context is not None,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == self._login
        )
        return AuthResult(success=ok, handled=False)

    def to(self, address: str) -> list[Received]:
        """Every message accepted for ``address`` so far, in order."""
        with self._lock:
            return [r for r in self._received if address.lower() in (a.lower() for a in r.envelope_to)]

    async def wait_for(self, address: str, count: int = 1, seconds: float = 20) -> list[Received]:
        """The messages for ``address`` once there are at least ``count``."""

        async def arrived() -> bool:
            return len(self.to(address)) >= count

        await eventually(arrived, f"{count} message(s) to {address}", seconds)
        return self.to(address)

    def keyed(self, address: str, kind: str) -> list[Received]:
        """The messages to ``address`` whose key starts with ``kind`` ("alert", "digest"…)."""
        return [r for r in self.to(address) if r.key.startswith(f"{kind}.")]

    async def wait_for_kind(
        self, address: str, kind: str, count: int = 1, seconds: float = 20
    ) -> list[Received]:
        """The messages of ``kind`` for ``address`` once there are at least ``count``."""

        async def arrived() -> bool:
            return len(self.keyed(address, kind)) >= count

        await eventually(arrived, f"{count} {kind} message(s) to {address}", seconds)
        return self.keyed(address, kind)
