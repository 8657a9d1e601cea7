"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the email transport and the worker tests.

It speaks ESMTP with STARTTLS (a certificate from a CA made per test, which the client
trusts through `smtp_ca_file`) and AUTH PLAIN/LOGIN with one fixed user, offered only
after STARTTLS; mail is refused until the client authenticated. Every accepted message is
kept with its envelope, whether the connection was encrypted, and who authenticated.

A script makes it misbehave: refuse a recipient with 550, defer one with 451, or drop the
connection when the client starts the n-th message.

Use the `smtp_server` fixture (import it into a conftest) or `serve_smtp(directory)`.
"""

from __future__ import annotations

import datetime
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_USER = "digests@infrasync.test"
# Characters that a URL must percent-encode, so the client's decoding is exercised.
TEST_PASSWORD = "p@ss:w/rd%20 ok"


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes  # exactly what came over the wire after DATA
    message: EmailMessage
    tls: bool  # the session was encrypted (STARTTLS or implicit TLS)
    authenticated_as: str | None


@dataclass
class SmtpScript:
    """What the server does wrong. Change it between sends; the server reads it live."""

    refuse: set[str] = field(default_factory=set)  # 550 5.1.1 at RCPT
    defer: set[str] = field(default_factory=set)  # 451 4.7.1 at RCPT (greylisting)
    # Close the connection, without an answer, at the MAIL command of the message that
    # would be number `drop_at_message` (0 = the first) counted over the server's life.
    drop_at_message: int | None = None


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(directory: Path) -> Certificates:
    """A CA and a server certificate for 127.0.0.1 and localhost, with the extensions a
    strict verifier (VERIFY_X509_STRICT) expects."""
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=7))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Infrasync test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    certificates = Certificates(
        ca_file=directory / "smtp-ca.pem",
        cert_file=directory / "smtp-cert.pem",
        key_file=directory / "smtp-key.pem",
    )
    certificates.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    certificates.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    certificates.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificates


class _Handler:
    """aiosmtpd's handler hooks; runs on the server's own thread and event loop."""

    def __init__(self, script: SmtpScript) -> None:
        self.script = script
        self.messages: list[ReceivedMessage] = []
        self.auth_failures = 0
        self._started_messages = 0
        self._lock = threading.Lock()

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        with self._lock:
            number = self._started_messages
            self._started_messages += 1
        if self.script.drop_at_message is not None and number >= self.script.drop_at_message:
            assert server.transport is not None
            server.transport.close()
            return "421 4.3.0 closing"  # never reaches the client: the socket is gone
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.script.refuse:
            return "550 5.1.1 <" + address + ">: mailbox unavailable"
        if address in self.script.defer:
            return "451 4.7.1 <" + address + ">: greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message=parsed,
            # After STARTTLS, and from the start with implicit TLS, the transport is TLS.
            tls=server.transport is not None
            and server.transport.get_extra_info("sslcontext") is not None,
            authenticated_as=login.decode() if login is not None else None,
        )
        with self._lock:
            self.messages.append(received)
        return "250 2.0.0 queued"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if (
            mechanism in ("PLAIN", "LOGIN")
            and isinstance(data, LoginPassword)
            and data.login == TEST_USER.encode()
            and data.password == TEST_PASSWORD.encode()
        ):
            return AuthResult(success=True, auth_data=data)
        with self._lock:
            self.auth_failures += 1
        # handled=False: aiosmtpd answers 535 itself.
        return AuthResult(success=False, handled=False)


@dataclass
class FakeSmtpServer:
    host: str
    port: int
    certificates: Certificates
    implicit_tls: bool
    script: SmtpScript
    _handler: _Handler

    @property
    def ca_file(self) -> Path:
        return self.certificates.ca_file

    @property
    def messages(self) -> list[ReceivedMessage]:
        return list(self._handler.messages)

    @property
    def auth_failures(self) -> int:
        return self._handler.auth_failures

    def url(self, user: str | None = TEST_USER, password: str = TEST_PASSWORD) -> str:
        """The INFRASYNC_SMTP_URL that reaches this server (user None: no credentials)."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        if user is None:
            return f"{scheme}://{self.host}:{self.port}"
        userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return f"{scheme}://{userinfo}@{self.host}:{self.port}"

    def received_by(self, address: str) -> list[ReceivedMessage]:
        return [message for message in self.messages if address in message.rcpt_tos]


class _Controller(Controller):
    def factory(self) -> SMTP:
        smtp = super().factory()  # type: ignore[no-untyped-call]
        assert isinstance(smtp, SMTP)
        if self.ssl_context is not None:
            # aiosmtpd counts only STARTTLS as TLS, so it would hide AUTH on an implicit
            # TLS connection, where every byte is encrypted. Passing auth_require_tls=False
            # instead makes it warn (an error under the test suite's warning filter).
            smtp._auth_require_tls = False
        return smtp


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_smtp(
    directory: Path,
    *,
    implicit_tls: bool = False,
    starttls: bool = True,
    script: SmtpScript | None = None,
) -> Iterator[FakeSmtpServer]:
    """Runs the server while the block runs. `implicit_tls`: TLS from the first byte
    (smtps://). `starttls=False`: a server that offers neither STARTTLS nor AUTH."""
    certificates = make_certificates(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    handler = _Handler(script or SmtpScript())
    tls_options: dict[str, Any]
    if implicit_tls:
        tls_options = {"ssl_context": context}
    elif starttls:
        tls_options = {"tls_context": context, "require_starttls": True}
    else:
        tls_options = {}
    controller = _Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        ready_timeout=30,
        server_hostname="fake-smtp.infrasync.test",
        authenticator=handler.authenticate,
        auth_required=implicit_tls or starttls,
        auth_require_tls=True,
        **tls_options,
    )
    controller.start()
    try:
        yield FakeSmtpServer(
            host="127.0.0.1",
            port=controller.port,
            certificates=certificates,
            implicit_tls=implicit_tls,
            script=handler.script,
            _handler=handler,
        )
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[FakeSmtpServer]:
    """An SMTP server with STARTTLS and AUTH, to be reached with `server.url()` and
    trusted through `server.ca_file`."""
    with serve_smtp(tmp_path / "smtp") as server:
        yield server
