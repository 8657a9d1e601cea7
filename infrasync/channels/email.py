"""The email channel: one message per recipient through the operator's SMTP server
(INFRASYNC_SMTP_URL), each a multipart/alternative text + HTML digest with its own signed
one-click unsubscribe link (RFC 8058).

Parts, for `Attempt.first_part` and `Retry.parts_sent`, are positions in the channel's
address list: a retry resumes at the first address that was not yet dealt with (sent,
refused or skipped as unsubscribed), so nobody gets the same digest twice from it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import ssl
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from infrasync.channels.base import Attempt, Delivered, Outcome, Permanent, Retry
from infrasync.config import Settings
from infrasync.kit import tokens
from infrasync.renderers.email import Email, render

if TYPE_CHECKING:
    from infrasync.channels.smtp_client import SmtpClient

MAX_ADDRESSES = 50
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
SEND_TIMEOUT = 30.0  # seconds per SMTP command, and to connect
SMTP_OK = 250
UNSUBSCRIBE_PURPOSE = "email-unsubscribe"
# Python folds a header longer than 78 characters that has no space in it (a signed
# unsubscribe link) into RFC 2047 encoded words, which no mail client reads as a URL.
# RFC 5322 allows lines up to 998 characters.
WIRE_POLICY = SMTP_POLICY.clone(max_line_length=998)


# Addresses -----------------------------------------------------------------------------


def normalize_addresses(addresses: Sequence[str]) -> list[str]:
    """The addresses as the channel keeps them: domain lowercased (and IDNA-encoded),
    duplicates dropped (ignoring case), in the order given. ValueError with a sentence
    that names the address by position, never by value."""
    # Imported here: only saving an email channel needs it, not the CLI's start.
    from email_validator import EmailNotValidError, validate_email

    if not addresses:
        raise ValueError("Give at least one email address.")
    normalized: list[str] = []
    seen: set[str] = set()
    for position, address in enumerate(addresses, start=1):
        try:
            valid = validate_email(
                address.strip(), check_deliverability=False, allow_smtputf8=False
            )
        except EmailNotValidError as error:
            raise ValueError(f"Address #{position} is not a valid email address: {error}") from None
        assert valid.ascii_email is not None  # allow_smtputf8=False guarantees it
        if valid.ascii_email.casefold() not in seen:
            seen.add(valid.ascii_email.casefold())
            normalized.append(valid.ascii_email)
    if len(normalized) > MAX_ADDRESSES:
        raise ValueError(
            f"An email channel sends to at most {MAX_ADDRESSES} addresses; "
            f"this one has {len(normalized)}."
        )
    return normalized


# Unsubscribe tokens --------------------------------------------------------------------


class BadUnsubscribeToken(ValueError):
    def __init__(self) -> None:
        super().__init__("This unsubscribe link is not valid: it was cut short or changed.")


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _decode(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def unsubscribe_token(secret_key: str, channel_id: uuid.UUID, address: str) -> str:
    """A URL-safe token naming one address of one channel, signed with the server's key.

    It never expires: a link in last year's digest must still unsubscribe. Replaying it
    only repeats the unsubscribe, and it cannot be turned into one for another address
    or channel without the key."""
    payload = _encode(f"{channel_id.hex}:{address}")
    return f"{payload}.{tokens.sign(secret_key, UNSUBSCRIBE_PURPOSE, payload)}"


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[uuid.UUID, str]:
    """(channel id, address) from a token of `unsubscribe_token`; BadUnsubscribeToken
    when it was not made with this key, or was changed."""
    payload, _, signature = token.partition(".")
    if not tokens.equal(signature, tokens.sign(secret_key, UNSUBSCRIBE_PURPOSE, payload)):
        raise BadUnsubscribeToken()
    try:
        channel_hex, _, address = _decode(payload).partition(":")
        return uuid.UUID(hex=channel_hex), address
    except (binascii.Error, UnicodeDecodeError, ValueError):
        # Signed by us, so this cannot happen short of a key shared with other signers.
        raise BadUnsubscribeToken() from None


# Settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://user:pass@host[:587]` (STARTTLS when offered) or `smtps://…[:465]`
    (TLS from the first byte); user and password URL-encoded. The ValueError's
    sentence never repeats the URL, which holds the password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("INFRASYNC_SMTP_URL is not a valid URL.") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("INFRASYNC_SMTP_URL must start with smtp:// or smtps://.")
    if not parts.hostname:
        raise ValueError("INFRASYNC_SMTP_URL names no host.")
    return SmtpServer(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[parts.scheme],
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def mail_domain(settings: Settings) -> str:
    """The domain our Message-IDs, List-Ids and EHLO name use: the public URL's host."""
    return urlsplit(settings.public_url).hostname or "localhost"


def list_id(settings: Settings, channel_id: uuid.UUID) -> str:
    """RFC 2919 List-Id of a channel, by which mail clients group and filter its mail."""
    return f"<channel-{channel_id.hex}.{mail_domain(settings)}>"


# Outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailDelivered(Delivered):
    """Every address was dealt with; `refused` are those the server refused for good
    (a 5xx for that recipient), to be marked so, not retried."""

    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmailRetry(Retry):
    """As Retry; `refused` are the addresses refused for good before the failure."""

    refused: tuple[str, ...] = ()


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _tls_failed(error: BaseException) -> bool:
    # aiosmtplib wraps a failed implicit-TLS handshake in SMTPConnectError; a failed
    # STARTTLS surfaces as the ssl error itself.
    return isinstance(error, ssl.SSLError) or isinstance(error.__cause__, ssl.SSLError)


def _refused_hint(refused: Sequence[str]) -> str:
    return (
        f" ({len(refused)} recipient{'s' if len(refused) != 1 else ''} refused)" if refused else ""
    )


# The transport -------------------------------------------------------------------------


class EmailTransport:
    """Sends one digest to a channel's addresses. `unsubscribe_url(address)` is the
    absolute https link whose POST (RFC 8058) or visit unsubscribes that address;
    `list_id` defaults to `list_id(settings, attempt.channel_id)`."""

    def __init__(
        self,
        settings: Settings,
        addresses: Sequence[str],
        unsubscribed: Collection[str],
        unsubscribe_url: Callable[[str], str],
        list_id: str | None = None,
        *,
        timeout: float = SEND_TIMEOUT,
    ) -> None:
        self._settings = settings
        self._addresses = tuple(addresses)
        self._unsubscribed = {address.casefold() for address in unsubscribed}
        self._unsubscribe_url = unsubscribe_url
        self._list_id = list_id
        self._timeout = timeout

    async def send(self, attempt: Attempt) -> Outcome:
        smtp_url, sender = self._settings.smtp_url, self._settings.email_from
        if smtp_url is None or not sender:
            return Permanent(
                None,
                "Email is not set up on this server: the operator must set "
                "INFRASYNC_SMTP_URL and INFRASYNC_EMAIL_FROM.",
            )
        try:
            server = parse_smtp_url(smtp_url.get_secret_value())
        except ValueError as error:
            return Permanent(None, str(error))
        pending = [
            (position, address)
            for position, address in enumerate(self._addresses)
            if position >= attempt.first_part and address.casefold() not in self._unsubscribed
        ]
        if not pending:
            return EmailDelivered(None)
        return await self._send_all(server, sender, attempt, pending)

    async def _send_all(
        self,
        server: SmtpServer,
        sender: str,
        attempt: Attempt,
        pending: Sequence[tuple[int, str]],
    ) -> Outcome:
        # Imported here: only sending mail needs it, not the CLI's start.
        import aiosmtplib

        content = render(attempt.digest)
        envelope_sender = parseaddr(sender)[1] or sender
        receipts: list[str] = []
        refused: list[str] = []
        position = pending[0][0]
        client = self._client(server)
        try:
            problem = await self._connect(client, server)
            if problem is not None:
                return problem
            for position, address in pending:
                message = self._message(content, sender, address, attempt)
                try:
                    await client.sendmail(
                        envelope_sender, [address], message.as_bytes(policy=WIRE_POLICY)
                    )
                except aiosmtplib.SMTPRecipientsRefused as error:
                    code = error.recipients[0].code
                    if not _permanent(code):
                        return self._retry(
                            code, "The SMTP server deferred a recipient", position, refused
                        )
                    refused.append(address)
                    continue
                except aiosmtplib.SMTPDataError as error:
                    # The server took the recipient but not the message for them.
                    if not _permanent(error.code):
                        return self._retry(
                            error.code, "The SMTP server deferred a message", position, refused
                        )
                    refused.append(address)
                    continue
                receipts.append(str(message["Message-ID"]))
        except aiosmtplib.SMTPSenderRefused as error:
            # MAIL FROM refused: the sender address, or a login the server wants.
            if _permanent(error.code):
                return Permanent(
                    error.code,
                    "The SMTP server refused to take mail from INFRASYNC_EMAIL_FROM"
                    f"{_refused_hint(refused)}.",
                    parts_sent=position,
                )
            return self._retry(error.code, "The SMTP server deferred the sender", position, refused)
        except aiosmtplib.SMTPResponseException as error:
            return self._retry(
                error.code, "The SMTP server answered with an error", position, refused
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            # Connection refused or dropped, timeouts (TimeoutError is an OSError).
            if _tls_failed(error):
                return self._retry(
                    None,
                    "The TLS handshake with the SMTP server failed (is its certificate "
                    "trusted? see INFRASYNC_SMTP_CA_FILE)",
                    position,
                    refused,
                )
            return self._retry(None, "Could not reach the SMTP server", position, refused)
        finally:
            await client.close_fully()
        return EmailDelivered(SMTP_OK, tuple(receipts), refused=tuple(refused))

    def _client(self, server: SmtpServer) -> SmtpClient:
        from infrasync.channels.smtp_client import SmtpClient

        ca_file = self._settings.smtp_ca_file
        return SmtpClient(
            hostname=server.host,
            port=server.port,
            use_tls=server.implicit_tls,
            # None: STARTTLS when the server offers it; _connect then refuses to send a
            # password over a connection that stayed in the clear.
            start_tls=False if server.implicit_tls else None,
            tls_context=ssl.create_default_context(cafile=str(ca_file) if ca_file else None),
            timeout=self._timeout,
            # Without it aiosmtplib asks the resolver for this machine's FQDN.
            local_hostname=mail_domain(self._settings),
        )

    async def _connect(self, client: SmtpClient, server: SmtpServer) -> Outcome | None:
        import aiosmtplib

        await client.connect()
        if server.username is None:
            return None
        if client.get_transport_info("sslcontext") is None:
            return Permanent(
                None,
                "The SMTP server offers no STARTTLS, so the password would travel "
                "unencrypted: use smtps:// or a server that offers STARTTLS.",
            )
        try:
            await client.login(server.username, server.password or "")
        except aiosmtplib.SMTPAuthenticationError as error:
            if _permanent(error.code):
                return Permanent(
                    error.code,
                    "The SMTP server refused the user name or password in INFRASYNC_SMTP_URL.",
                )
            raise
        except aiosmtplib.SMTPException as error:
            # No AUTH offered at all, or no mechanism in common.
            if isinstance(error, aiosmtplib.SMTPResponseException) and not _permanent(error.code):
                raise
            return Permanent(
                getattr(error, "code", None),
                "The SMTP server does not accept a login the way INFRASYNC_SMTP_URL gives it.",
            )
        return None

    def _retry(
        self, status: int | None, error: str, position: int, refused: Sequence[str]
    ) -> EmailRetry:
        code = f" ({status})" if status is not None else ""
        return EmailRetry(
            status,
            f"{error}{code}{_refused_hint(refused)}.",
            parts_sent=position,
            refused=tuple(refused),
        )

    def _message(self, content: Email, sender: str, address: str, attempt: Attempt) -> EmailMessage:
        domain = mail_domain(self._settings)
        unsubscribe = self._unsubscribe_url(address)
        message = EmailMessage()
        message["Subject"] = content.subject
        message["From"] = sender
        message["To"] = address
        message["Date"] = format_datetime(datetime.now(UTC), usegmt=True)
        message["Message-ID"] = _message_id(attempt.delivery_id, address, domain)
        message["List-Id"] = self._list_id or list_id(self._settings, attempt.channel_id)
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        # quoted-printable: 7-bit clean whatever the server supports, and still readable.
        message.set_content(
            f"{content.text}\n\n-- \nUnsubscribe: {unsubscribe}\n",
            subtype="plain",
            charset="utf-8",
            cte="quoted-printable",
        )
        footer = (
            '<hr><p style="font-size: 0.875em; color: #555">'
            f'<a href="{html.escape(unsubscribe)}">Unsubscribe</a> from these digests.</p>'
        )
        message.add_alternative(
            content.html.replace("</body>", f"{footer}</body>", 1),
            subtype="html",
            charset="utf-8",
            cte="quoted-printable",
        )
        return message


def _message_id(delivery_id: uuid.UUID, address: str, domain: str) -> str:
    """The same id for every retry of one delivery to one address, so a receiver that
    already took the message (the connection dropped before its answer reached us) can
    discard the copy. The address is hashed with the delivery id: the id names no one."""
    recipient = hashlib.sha256(f"{delivery_id}:{address.casefold()}".encode()).hexdigest()[:16]
    return f"<{delivery_id.hex}.{recipient}@{domain}>"
