"""The email channel against a real SMTP server (aiosmtpd on 127.0.0.1, with STARTTLS and
AUTH): what a recipient's mail client receives, and what the worker is told when the
server refuses, defers or drops."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from infrasync.channels.base import Attempt, Delivered, Outcome, Permanent, Retry
from infrasync.channels.email import (
    BadUnsubscribeToken,
    EmailDelivered,
    EmailRetry,
    EmailTransport,
    normalize_addresses,
    parse_smtp_url,
    read_unsubscribe_token,
    unsubscribe_token,
)
from infrasync.config import Settings
from infrasync.digests.document import Digest
from tests.fakes.smtp_server import (
    TEST_PASSWORD,
    TEST_USER,
    FakeSmtpServer,
    ReceivedMessage,
    serve_smtp,
)
from tests.renderers.test_renderers import builtin_digest
from tests.renderers.test_untrusted_values import digest as digest_with

SECRET_KEY = "k" * 48
CHANNEL_ID = uuid.UUID("0123456789abcdef0123456789abcdef")
ADA, BOB, CY = "ada@example.com", "bob@example.org", "cy@example.net"
PUBLIC_URL = "https://infrasync.example"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeSmtpServer]:
    with serve_smtp(tmp_path / "smtp") as running:
        yield running


def settings_for(server: FakeSmtpServer, *, url: str | None = None, trust: bool = True) -> Settings:
    return Settings(
        smtp_url=SecretStr(url or server.url()),
        email_from="Infrasync <digests@infrasync.example>",
        smtp_ca_file=server.ca_file if trust else None,
        public_url=PUBLIC_URL,
    )


def unsubscribe_link(address: str) -> str:
    return f"{PUBLIC_URL}/unsubscribe/{unsubscribe_token(SECRET_KEY, CHANNEL_ID, address)}"


def transport(
    settings: Settings,
    addresses: tuple[str, ...] = (ADA, BOB, CY),
    unsubscribed: frozenset[str] = frozenset(),
) -> EmailTransport:
    return EmailTransport(settings, addresses, unsubscribed, unsubscribe_link)


def attempt(
    digest: Digest | None = None, *, first_part: int = 0, delivery_id: uuid.UUID | None = None
) -> Attempt:
    return Attempt(
        delivery_id=delivery_id or uuid.uuid4(),
        channel_id=CHANNEL_ID,
        org_slug="acme",
        monitor_name="app weekly",
        digest=digest or builtin_digest(),
        first_part=first_part,
    )


def assert_discreet(outcome: Outcome) -> None:
    """Error texts are stored and shown to admins: no password, user or address."""
    assert not isinstance(outcome, Delivered)
    for secret in (TEST_PASSWORD, quote(TEST_PASSWORD, safe=""), TEST_USER, ADA, BOB, CY):
        assert secret not in outcome.error, outcome.error


def only_message(server: FakeSmtpServer, address: str) -> ReceivedMessage:
    [received] = server.received_by(address)
    return received


def parts_of(message: EmailMessage) -> dict[str, EmailMessage]:
    parts = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        parts[part.get_content_type()] = part
    return parts


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


# What arrives ------------------------------------------------------------------------------


async def test_each_recipient_gets_one_multipart_alternative_message_in_utf8(
    server: FakeSmtpServer,
) -> None:
    outcome = await transport(settings_for(server)).send(attempt())

    assert isinstance(outcome, EmailDelivered)
    assert outcome.refused == ()
    assert [m.rcpt_tos for m in server.messages] == [(ADA,), (BOB,), (CY,)]
    for address in (ADA, BOB, CY):
        message = only_message(server, address).message
        assert message.get_content_type() == "multipart/alternative"
        parts = parts_of(message)
        assert list(parts) == ["text/plain", "text/html"]  # the richest last, RFC 2046
        assert {part.get_content_charset() for part in parts.values()} == {"utf-8"}
        text, page = (parts[kind].get_content() for kind in ("text/plain", "text/html"))
        assert "[#1 PR 1](https://github.com/acme/app/pull/1)" in text
        assert '<a href="https://github.com/acme/app/pull/1"' in page
        assert "acme/app — Nov 2 to Nov 8, 2026" in page  # non-ASCII survives the trip
        assert message["To"] == address
        assert message["Subject"] == "acme/app — Nov 2 to Nov 8, 2026"
        assert message["From"] == "Infrasync <digests@infrasync.example>"
        assert message["Date"] is not None


async def test_every_message_has_its_id_list_id_and_one_click_unsubscribe(
    server: FakeSmtpServer,
) -> None:
    outcome = await transport(settings_for(server)).send(attempt())

    assert isinstance(outcome, EmailDelivered)
    ids = [str(m.message["Message-ID"]) for m in server.messages]
    assert list(outcome.receipts) == ids
    assert len(set(ids)) == 3
    for address, message_id in zip((ADA, BOB, CY), ids, strict=True):
        received = only_message(server, address)
        assert re.fullmatch(r"<[0-9a-f]{32}\.[0-9a-f]{16}@infrasync\.example>", message_id)
        assert received.message["List-Id"] == f"<channel-{CHANNEL_ID.hex}.infrasync.example>"
        # Read on the wire, not through a parser that would decode RFC 2047 words: a
        # mail client must find the https link itself there, on one header line.
        headers = received.raw.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
        link = unsubscribe_link(address)
        assert f"List-Unsubscribe: <{link}>" in headers
        assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in headers
        assert link.startswith("https://")
        # The link is this recipient's: it unsubscribes them and nobody else.
        token = link.rsplit("/", 1)[1]
        assert read_unsubscribe_token(SECRET_KEY, token) == (CHANNEL_ID, address)
        # And the body shows it, for the clients that offer no unsubscribe button.
        parts = parts_of(received.message)
        assert link in parts["text/plain"].get_content()
        assert f'href="{link}"' in parts["text/html"].get_content()


async def test_a_retry_of_one_delivery_reuses_its_message_ids(server: FakeSmtpServer) -> None:
    # A receiver that took the message before the connection dropped can drop the copy.
    delivery_id = uuid.uuid4()
    first = await transport(settings_for(server)).send(attempt(delivery_id=delivery_id))
    again = await transport(settings_for(server)).send(attempt(delivery_id=delivery_id))
    other = await transport(settings_for(server)).send(attempt())
    assert isinstance(first, Delivered)
    assert isinstance(again, Delivered)
    assert isinstance(other, Delivered)
    assert first.receipts == again.receipts
    assert not set(first.receipts) & set(other.receipts)


@pytest.mark.parametrize("title", ["<script>alert(1)</script>", "<b>x</b>"])
async def test_html_in_a_commit_message_arrives_as_text(server: FakeSmtpServer, title: str) -> None:
    outcome = await transport(settings_for(server), (ADA,)).send(
        attempt(digest_with("commit message", title))
    )

    assert isinstance(outcome, Delivered)
    parts = parts_of(only_message(server, ADA).message)
    assert f"`0123456` {title} by Ada" in parts["text/plain"].get_content()
    page = parts["text/html"].get_content()
    tags = _Tags()
    tags.feed(page)
    assert not {"script", "b"} & set(tags.tags)
    assert f"0123456 {title} by Ada" in tags.text  # shown as the characters it is
    assert title not in page


# TLS and AUTH ------------------------------------------------------------------------------


async def test_the_login_happens_inside_starttls(server: FakeSmtpServer) -> None:
    outcome = await transport(settings_for(server), (ADA,)).send(attempt())

    assert isinstance(outcome, Delivered)
    received = only_message(server, ADA)
    assert received.tls
    # The URL carries the user and password percent-encoded (the password has @ : / %).
    assert received.authenticated_as == TEST_USER
    assert received.mail_from == "digests@infrasync.example"


async def test_smtps_speaks_tls_from_the_first_byte(tmp_path: Path) -> None:
    with serve_smtp(tmp_path / "smtps", implicit_tls=True) as server:
        assert server.url().startswith("smtps://")
        outcome = await transport(settings_for(server), (ADA,)).send(attempt())
        assert isinstance(outcome, Delivered)
        received = only_message(server, ADA)
    assert received.tls
    assert received.authenticated_as == TEST_USER


async def test_a_certificate_nobody_trusts_is_a_retry_and_sends_nothing(
    server: FakeSmtpServer,
) -> None:
    outcome = await transport(settings_for(server, trust=False)).send(attempt())

    assert isinstance(outcome, Retry)
    assert "TLS" in outcome.error
    assert outcome.parts_sent == 0
    assert server.messages == []
    assert_discreet(outcome)


async def test_no_password_goes_to_a_server_without_starttls(tmp_path: Path) -> None:
    with serve_smtp(tmp_path / "plain", starttls=False) as server:
        outcome = await transport(settings_for(server), (ADA,)).send(attempt())
        messages = server.messages

    assert isinstance(outcome, Permanent)
    assert "unencrypted" in outcome.error
    assert messages == []
    assert_discreet(outcome)


async def test_a_relay_without_login_may_be_plain(tmp_path: Path) -> None:
    # A local SMTP catcher: no TLS, no password, nothing to protect.
    with serve_smtp(tmp_path / "plain", starttls=False) as server:
        outcome = await transport(settings_for(server, url=server.url(user=None)), (ADA,)).send(
            attempt()
        )
        received = only_message(server, ADA)
    assert isinstance(outcome, Delivered)
    assert not received.tls


async def test_a_wrong_password_disables_the_channel_with_a_reason(
    server: FakeSmtpServer,
) -> None:
    bad_password = "not-the-password"
    settings = settings_for(server, url=server.url(password=bad_password))
    outcome = await transport(settings).send(attempt())

    assert isinstance(outcome, Permanent)
    assert outcome.disable
    assert outcome.status == 535
    assert "password" in outcome.error
    assert bad_password not in outcome.error
    assert server.auth_failures >= 1  # aiosmtplib tries PLAIN, then LOGIN
    assert server.messages == []
    assert_discreet(outcome)


async def test_a_server_that_does_not_answer_is_a_retry(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connection refused
        settings = Settings(
            smtp_url=SecretStr(f"smtp://{quote(TEST_USER)}:secret@127.0.0.1:{port}"),
            email_from="digests@infrasync.example",
            public_url=PUBLIC_URL,
        )
        outcome = await transport(settings).send(attempt())

    assert isinstance(outcome, Retry)
    assert outcome.parts_sent == 0
    assert "secret" not in outcome.error
    assert_discreet(outcome)


async def test_unconfigured_email_says_what_the_operator_must_set() -> None:
    outcome = await transport(Settings(public_url=PUBLIC_URL)).send(attempt())
    assert isinstance(outcome, Permanent)
    assert "INFRASYNC_SMTP_URL" in outcome.error


# Refusals, deferrals, drops ------------------------------------------------------------------


async def test_a_refused_recipient_is_reported_and_the_others_still_get_it(
    server: FakeSmtpServer,
) -> None:
    server.script.refuse.add(BOB)
    outcome = await transport(settings_for(server)).send(attempt())

    assert isinstance(outcome, EmailDelivered)
    assert outcome.refused == (BOB,)
    assert len(outcome.receipts) == 2
    assert [m.rcpt_tos for m in server.messages] == [(ADA,), (CY,)]


async def test_a_deferred_recipient_is_a_retry_that_resumes_where_it_stopped(
    server: FakeSmtpServer,
) -> None:
    server.script.refuse.add(ADA)
    server.script.defer.add(BOB)
    delivery_id = uuid.uuid4()
    first = await transport(settings_for(server)).send(attempt(delivery_id=delivery_id))

    assert isinstance(first, EmailRetry)
    assert first.status == 451
    assert first.parts_sent == 1  # ADA was dealt with (refused), BOB was not
    assert first.refused == (ADA,)
    assert "1 recipient refused" in first.error
    assert_discreet(first)
    assert server.messages == []

    server.script.defer.clear()
    resumed = await transport(settings_for(server)).send(
        attempt(delivery_id=delivery_id, first_part=first.parts_sent)
    )
    assert isinstance(resumed, EmailDelivered)
    assert resumed.refused == ()
    assert [m.rcpt_tos for m in server.messages] == [(BOB,), (CY,)]


async def test_a_dropped_connection_is_a_retry_after_the_messages_that_went_through(
    server: FakeSmtpServer,
) -> None:
    server.script.drop_at_message = 1
    outcome = await transport(settings_for(server)).send(attempt())

    assert isinstance(outcome, Retry)
    assert outcome.parts_sent == 1
    assert [m.rcpt_tos for m in server.messages] == [(ADA,)]
    assert_discreet(outcome)


async def test_an_unsubscribed_address_gets_nothing(server: FakeSmtpServer) -> None:
    outcome = await transport(settings_for(server), unsubscribed=frozenset({BOB})).send(attempt())

    assert isinstance(outcome, EmailDelivered)
    assert len(outcome.receipts) == 2
    assert server.received_by(BOB) == []
    assert [m.rcpt_tos for m in server.messages] == [(ADA,), (CY,)]


async def test_nobody_left_to_send_to_is_delivered_without_connecting() -> None:
    # Every address unsubscribed: no server is needed (this one does not exist).
    settings = Settings(
        smtp_url=SecretStr("smtp://127.0.0.1:9"),
        email_from="digests@infrasync.example",
        public_url=PUBLIC_URL,
    )
    outcome = await transport(settings, (ADA,), frozenset({ADA})).send(attempt())
    assert outcome == EmailDelivered(None)


# Unsubscribe tokens ------------------------------------------------------------------------


def test_an_unsubscribe_token_names_its_channel_and_address() -> None:
    token = unsubscribe_token(SECRET_KEY, CHANNEL_ID, ADA)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)  # safe in a URL path
    assert read_unsubscribe_token(SECRET_KEY, token) == (CHANNEL_ID, ADA)


def _tampered() -> list[str]:
    token = unsubscribe_token(SECRET_KEY, CHANNEL_ID, ADA)
    payload, signature = token.split(".")
    bob_payload = unsubscribe_token(SECRET_KEY, CHANNEL_ID, BOB).split(".")[0]
    other_channel = unsubscribe_token(SECRET_KEY, uuid.uuid4(), ADA).split(".")[0]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"{bob_payload}.{signature}",  # another address, this address's signature
        f"{other_channel}.{signature}",  # another channel
        f"{payload}.{flipped}",
        payload,
        token[:-5],
        "",
        unsubscribe_token("another key" * 4, CHANNEL_ID, ADA),
    ]


@pytest.mark.parametrize("token", _tampered())
def test_a_tampered_unsubscribe_token_is_refused(token: str) -> None:
    with pytest.raises(BadUnsubscribeToken, match="not valid"):
        read_unsubscribe_token(SECRET_KEY, token)


# Addresses and the SMTP URL ----------------------------------------------------------------


def test_addresses_are_normalized_and_deduplicated() -> None:
    given = ["Ada@Example.COM", " bob@example.org ", "ada@example.com", "cy@Bücher.example"]
    assert normalize_addresses(given) == [
        "Ada@example.com",
        "bob@example.org",
        "cy@xn--bcher-kva.example",
    ]


@pytest.mark.parametrize("bad", ["ada", "ada@", "ada@localhost", "Ada <ada@example.com>"])
def test_a_bad_address_is_named_by_position_not_value(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^Address #2 is not a valid email address") as error:
        normalize_addresses([ADA, bad])
    assert "ada@" not in str(error.value)


def test_at_most_fifty_addresses_and_at_least_one() -> None:
    fifty = [f"user{n}@example.com" for n in range(50)]
    assert len(normalize_addresses(fifty)) == 50
    with pytest.raises(ValueError, match="at most 50"):
        normalize_addresses([*fifty, "one-more@example.com"])
    with pytest.raises(ValueError, match="at least one"):
        normalize_addresses([])


def test_the_smtp_url_gives_host_port_tls_and_decoded_credentials() -> None:
    plain = parse_smtp_url("smtp://me%40corp:p%40ss%3Aw%2Frd@mail.example")
    assert (plain.host, plain.port, plain.implicit_tls) == ("mail.example", 587, False)
    assert (plain.username, plain.password) == ("me@corp", "p@ss:w/rd")
    assert "p@ss" not in repr(plain)
    tls = parse_smtp_url("smtps://mail.example")
    assert (tls.port, tls.implicit_tls, tls.username) == (465, True, None)
    assert parse_smtp_url("smtp://mail.example:2525").port == 2525


@pytest.mark.parametrize(
    "url", ["http://me:hunter2@mail.example", "smtp://me:hunter2@", "smtp://me:hunter2@h:x"]
)
def test_a_bad_smtp_url_is_explained_without_its_password(url: str) -> None:
    with pytest.raises(ValueError, match="INFRASYNC_SMTP_URL") as error:
        parse_smtp_url(url)
    assert "hunter2" not in str(error.value)
