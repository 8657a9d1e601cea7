"""Channel URLs are typed in by users, so Infrasync must not be made to post to its own
network: checked when saved, checked again when connecting (DNS rebinding), no
redirects, and each vendor's URL of that vendor's form."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infrasync.channels.base import Delivered, Permanent, Retry
from infrasync.channels.http import (
    SafePoster,
    UnsafeDestination,
    check_destination,
    check_discord_url,
    check_slack_url,
    check_webhook_url,
    checked_addresses,
)
from infrasync.channels.slack import SlackTransport
from infrasync.channels.webhook import WebhookTransport, new_webhook_secret
from infrasync.config import Settings
from tests.channels.test_http_transports import attempt_for
from tests.fakes.chat_receivers import Redirect, SlackReceiver, WebhookReceiver
from tests.renderers.test_renderers import builtin_digest

PUBLIC = "93.184.215.14"  # a global unicast address; never connected to by these tests

NOT_PUBLIC = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
]


def _in_url(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.fixture
def slack_fake() -> Iterator[SlackReceiver]:
    with SlackReceiver().serving() as receiver:
        yield receiver


@dataclass
class FakeDns:
    """Answers each name from a list of answers, one per lookup (the last one repeats):
    a rebinding DNS server answers a public address first and 127.0.0.1 next."""

    answers: dict[str, list[list[str]]]
    lookups: int = 0

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups += 1
        answers = self.answers[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


# At save time -----------------------------------------------------------------------------


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_a_url_to_a_non_public_address_is_refused_unless_allowed(address: str) -> None:
    url = f"https://{_in_url(address)}/hook"
    with pytest.raises(UnsafeDestination, match="not allowed"):
        check_destination(url, production=False, allow_private=False)
    check_destination(url, production=False, allow_private=True)


@pytest.mark.parametrize(
    "host", ["localhost", "api.localhost", "2130706433", "0x7f.1", "127.1", "017700000001"]
)
def test_names_that_mean_this_machine_are_refused(host: str) -> None:
    with pytest.raises(UnsafeDestination):
        check_destination(f"http://{host}:8080/hook", production=False, allow_private=False)


def test_public_addresses_and_names_pass() -> None:
    for url in (f"https://{PUBLIC}/hook", "https://hooks.example.com/x", "https://[2606:4700::1]/"):
        check_destination(url, production=True, allow_private=False)


def test_production_takes_https_only_even_when_private_addresses_are_allowed() -> None:
    with pytest.raises(UnsafeDestination, match="https://"):
        check_destination("http://hooks.example.com/x", production=True, allow_private=True)
    check_destination("http://hooks.example.com/x", production=False, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "https://user:pass@hooks.example.com/x",
        "https:///x",
        "not a url",
    ],
)
def test_other_schemes_user_info_and_nonsense_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        check_webhook_url(url, production=False, allow_private=True)


# When connecting --------------------------------------------------------------------------


async def test_a_name_rebound_to_loopback_after_saving_is_refused_when_connecting(
    slack_fake: SlackReceiver,
) -> None:
    url = slack_fake.webhook_url().replace("127.0.0.1", "hooks.rebind.example")
    dns = FakeDns({"hooks.rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    # Saving: the URL is fine, and the name resolves to a public address.
    check_slack_url(url, production=False, allow_private=True)
    check_destination(url, production=False, allow_private=False)
    assert await checked_addresses(
        "hooks.rebind.example", 80, allow_private=False, resolver=dns
    ) == [ipaddress.ip_address(PUBLIC)]

    async with SafePoster(production=False, allow_private=False, resolver=dns) as poster:
        outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))

    assert outcome == Permanent(None, "The channel's address is not allowed.")
    assert slack_fake.requests() == []
    assert dns.lookups == 2  # the poster resolved the name itself, when connecting


async def test_the_same_rebound_name_reaches_the_receiver_when_private_addresses_are_allowed(
    slack_fake: SlackReceiver,
) -> None:
    """The control for the test above: what stopped that request was the check."""
    url = slack_fake.webhook_url().replace("127.0.0.1", "hooks.rebind.example")
    dns = FakeDns({"hooks.rebind.example": [["127.0.0.1"]]})
    async with SafePoster(production=False, allow_private=True, resolver=dns) as poster:
        outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))
    assert outcome == Delivered(200)


@pytest.mark.parametrize("address", NOT_PUBLIC)
async def test_every_kind_of_non_public_address_is_refused_when_connecting(
    slack_fake: SlackReceiver, address: str
) -> None:
    url = slack_fake.webhook_url().replace("127.0.0.1", "hooks.example.com")
    dns = FakeDns({"hooks.example.com": [[address]]})
    async with SafePoster(production=False, allow_private=False, resolver=dns) as poster:
        outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))
    assert isinstance(outcome, Permanent)
    assert outcome.disable
    assert slack_fake.requests() == []


async def test_one_private_address_among_public_ones_refuses_them_all(
    slack_fake: SlackReceiver,
) -> None:
    url = slack_fake.webhook_url().replace("127.0.0.1", "hooks.example.com")
    dns = FakeDns({"hooks.example.com": [[PUBLIC, "2606:4700::1", "127.0.0.1"]]})
    async with SafePoster(production=False, allow_private=False, resolver=dns) as poster:
        outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))
    assert isinstance(outcome, Permanent)
    assert slack_fake.requests() == []


async def test_the_poster_connects_to_the_address_it_checked_and_names_the_host(
    slack_fake: SlackReceiver,
) -> None:
    """`.invalid` never resolves (RFC 6761): the request arrived because the poster
    connected to the address its own lookup returned, not through a second lookup."""
    port = slack_fake.base_url.rsplit(":", 1)[1]
    url = slack_fake.webhook_url().replace("127.0.0.1", "receiver.invalid")
    dns = FakeDns({"receiver.invalid": [["127.0.0.1"]]})
    async with SafePoster(production=False, allow_private=True, resolver=dns) as poster:
        outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))
    assert outcome == Delivered(200)
    assert slack_fake.requests()[0].headers["host"] == f"receiver.invalid:{port}"


async def test_proxy_settings_of_the_environment_are_not_used(
    slack_fake: SlackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would reach whatever the proxy resolves; the check would be moot."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with SafePoster(production=False, allow_private=True) as poster:
        outcome = await SlackTransport(slack_fake.webhook_url(), poster).send(
            attempt_for(builtin_digest())
        )
    assert outcome == Delivered(200)


async def test_redirects_are_not_followed() -> None:
    with WebhookReceiver().serving() as first, WebhookReceiver().serving() as second:
        secret = new_webhook_secret()
        target = second.endpoint(secret)
        url = first.endpoint(secret)
        first.script(Redirect(target))
        async with SafePoster(production=False, allow_private=True) as poster:
            outcome = await WebhookTransport(url, secret, poster).send(
                attempt_for(builtin_digest())
            )
        assert outcome == Permanent(302, "The receiver answered with a redirect.")
        assert len(first.requests()) == 1
        assert second.requests() == []


def test_the_poster_follows_the_settings() -> None:
    production = Settings(environment="production", allow_private_webhooks=True)
    poster = SafePoster.for_settings(production)
    assert (poster.production, poster.allow_private) == (True, True)


# TLS to the checked address, verified for the name ---------------------------------------


@dataclass(frozen=True)
class Tls:
    ca: ssl.SSLContext
    certfile: str
    keyfile: str


def _certificate_for(name: str, directory: Path) -> Tls:
    """A CA, and a certificate for `name` only (no IP address in it), signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Infrasync test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())

    def builder(
        subject: x509.Name, public_key: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
        )

    ca = (
        builder(ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), key.public_key())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(
        cadata=ca.public_bytes(serialization.Encoding.PEM).decode("ascii")
    )
    return Tls(context, str(certfile), str(keyfile))


@pytest.fixture
def tls_slack(tmp_path: Path) -> Iterator[tuple[SlackReceiver, Tls]]:
    tls = _certificate_for("hooks.receiver.test", tmp_path)
    with SlackReceiver().serving(certfile=tls.certfile, keyfile=tls.keyfile) as receiver:
        yield receiver, tls


@pytest.fixture
async def tls_poster(tls_slack: tuple[SlackReceiver, Tls]) -> AsyncIterator[SafePoster]:
    dns = FakeDns({"hooks.receiver.test": [["127.0.0.1"]], "other.receiver.test": [["127.0.0.1"]]})
    async with SafePoster(
        production=True, allow_private=True, resolver=dns, verify=tls_slack[1].ca
    ) as poster:
        yield poster


async def test_tls_to_the_checked_address_is_verified_for_the_host_name(
    tls_slack: tuple[SlackReceiver, Tls], tls_poster: SafePoster
) -> None:
    receiver, _ = tls_slack
    url = receiver.webhook_url().replace("127.0.0.1", "hooks.receiver.test")
    assert url.startswith("https://hooks.receiver.test:")
    outcome = await SlackTransport(url, tls_poster).send(attempt_for(builtin_digest()))
    assert outcome == Delivered(200)
    assert receiver.requests()[0].headers["host"].startswith("hooks.receiver.test:")


async def test_a_certificate_for_another_name_is_refused_although_the_address_is_right(
    tls_slack: tuple[SlackReceiver, Tls], tls_poster: SafePoster
) -> None:
    receiver, _ = tls_slack
    url = receiver.webhook_url().replace("127.0.0.1", "other.receiver.test")
    outcome = await SlackTransport(url, tls_poster).send(attempt_for(builtin_digest()))
    assert outcome == Retry(None, "Could not connect to the receiver.")
    assert receiver.requests() == []


# The vendors' forms -----------------------------------------------------------------------

SLACK_URL = "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aBcDeFgHiJkLmNoPqRsTuVwX"
DISCORD_URL = "https://discord.com/api/webhooks/1234567890123456789/AbC-dEf_GhI123"


def test_slack_urls_of_slacks_form_pass() -> None:
    check_slack_url(SLACK_URL)
    # Tests and self-hosted setups: any host, but still Slack's path.
    check_slack_url(
        "http://127.0.0.1:8123/services/T0FAKE/B000001/token1",
        production=False,
        allow_private=True,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/triggers/T0123ABCD/12345/abcdef",  # a workflow, not a webhook
        "https://hooks.slack.com/services/T0123ABCD/B0456EFGH",
        "https://slack.com/services/T0123ABCD/B0456EFGH/abc",
        "https://hooks.slack.com.evil.example/services/T0123ABCD/B0456EFGH/abc",
        "http://hooks.slack.com/services/T0123ABCD/B0456EFGH/abc",
        "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abc?x=1",
        DISCORD_URL,
    ],
)
def test_anything_else_is_not_a_slack_url(url: str) -> None:
    with pytest.raises(ValueError, match=r"Slack|https://hooks\.slack\.com/"):
        check_slack_url(url)


def test_with_private_addresses_allowed_a_slack_url_still_needs_slacks_path() -> None:
    with pytest.raises(ValueError, match="not a Slack incoming webhook URL"):
        check_slack_url("http://127.0.0.1:8123/hooks/1", production=False, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        DISCORD_URL,
        "https://discord.com/api/v10/webhooks/1234567890123456789/AbC-dEf_GhI123",
        "https://discordapp.com/api/webhooks/1234567890123456789/AbC",
        "https://ptb.discord.com/api/webhooks/1234567890123456789/AbC",
        "https://canary.discord.com/api/webhooks/1234567890123456789/AbC",
        f"{DISCORD_URL}?thread_id=1234567890123456780",
    ],
)
def test_discord_urls_of_discords_form_pass(url: str) -> None:
    check_discord_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://discord.com/api/webhooks/not-digits/AbC",
        "https://discord.com/channels/1234567890123456789/1234567890123456789",
        "https://discord.com/api/webhooks/1234567890123456789",
        "https://discord.evil.example/api/webhooks/1234567890123456789/AbC",
        "http://discord.com/api/webhooks/1234567890123456789/AbC",
        f"{DISCORD_URL}?wait=false",
        SLACK_URL,
    ],
)
def test_anything_else_is_not_a_discord_url(url: str) -> None:
    with pytest.raises(ValueError, match=r"Discord|https://discord\.com/"):
        check_discord_url(url)


def test_vendor_urls_to_private_addresses_are_refused_unless_allowed() -> None:
    private = "http://10.0.0.5/api/webhooks/1234567890123456789/AbC"
    with pytest.raises(ValueError, match=r"https://discord\.com/"):
        check_discord_url(private, production=False, allow_private=False)
    check_discord_url(private, production=False, allow_private=True)
