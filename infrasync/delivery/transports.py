"""From a stored channel to the transport that sends to it (infrasync/channels/): opens
the sealed URL and secret, and gives each send a fresh SSRF-checked poster."""

from __future__ import annotations

import functools
import ssl
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from infrasync.channels import email, http
from infrasync.channels.base import Attempt, Outcome, Transport
from infrasync.channels.discord import DiscordTransport
from infrasync.channels.file import FileTransport
from infrasync.channels.slack import SlackTransport
from infrasync.channels.webhook import WebhookTransport, new_webhook_secret
from infrasync.config import Settings
from infrasync.kit.crypto import SecretBox
from infrasync.models import Channel

UNSUBSCRIBE_PATH = "/api/email/unsubscribe"
normalize_addresses = email.normalize_addresses


def inbox_directory(settings: Settings) -> Path:
    """Where the demo's file channel writes its digests (`./.infrasync/inbox`)."""
    return settings.data_dir / "inbox"


def new_signing_secret() -> str:
    return new_webhook_secret()


def check_channel_url(settings: Settings, kind: str, url: str) -> str:
    """The URL as stored, or ValueError with a sentence saying what is wrong with it."""
    options = {
        "production": settings.is_production,
        "allow_private": settings.allow_private_webhooks,
    }
    if kind == "slack":
        http.check_slack_url(url, **options)
    elif kind == "discord":
        http.check_discord_url(url, **options)
    else:
        http.check_webhook_url(url, **options)
    return url


def url_hint(url: str) -> str:
    """Enough to recognise a URL by, never enough to use it: the host and the last four
    characters (Slack's and Discord's URLs are their own credentials)."""
    parts = urlsplit(url)
    return f"{parts.hostname or ''}/…{url[-4:]}"


def unsubscribe_url(settings: Settings, channel: Channel) -> Callable[[str], str]:
    secret = settings.effective_secret_key

    def link(address: str) -> str:
        token = email.unsubscribe_token(secret, channel.id, address)
        return f"{settings.public_url}{UNSUBSCRIBE_PATH}/{token}"

    return link


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[uuid.UUID, str]:
    return email.read_unsubscribe_token(settings.effective_secret_key, token)


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's own default (the system's trust store via certifi, no environment), made
    once per process: building it reads the CA bundle, about 35 ms of CPU, which a
    fresh poster per send otherwise paid for every delivery."""
    return httpx.create_ssl_context(trust_env=False)


class _PostingTransport:
    """A Slack, Discord or webhook transport with its own poster for each send: every
    post resolves and checks the destination anew (see channels/http.py)."""

    def __init__(self, settings: Settings, make: Callable[[http.SafePoster], Transport]) -> None:
        self._settings = settings
        self._make = make

    async def send(self, attempt: Attempt) -> Outcome:
        async with http.SafePoster.for_settings(self._settings, verify=_tls()) as poster:
            return await self._make(poster).send(attempt)


def build(settings: Settings, channel: Channel, suppressed: dict[str, str]) -> Transport:
    """Raises DecryptionFailed when no configured key opens the channel's secrets."""
    if channel.kind == "file":
        return FileTransport(inbox_directory(settings))
    if channel.kind == "email":
        return email.EmailTransport(
            settings,
            channel.addresses,
            unsubscribed=set(suppressed),
            unsubscribe_url=unsubscribe_url(settings, channel),
        )
    box = SecretBox.from_keys(settings.fernet_keys)
    assert channel.url_sealed is not None, "URL channels are created with their URL"
    url = box.open(channel.url_sealed)
    if channel.kind == "slack":
        return _PostingTransport(settings, lambda poster: SlackTransport(url, poster))
    if channel.kind == "discord":
        return _PostingTransport(settings, lambda poster: DiscordTransport(url, poster))
    assert channel.signing_secret_sealed is not None, "webhooks are created with a secret"
    secret = box.open(channel.signing_secret_sealed)
    return _PostingTransport(settings, lambda poster: WebhookTransport(url, secret, poster))
