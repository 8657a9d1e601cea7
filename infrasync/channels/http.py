"""Outbound HTTP for channel URLs that users typed in: the SSRF guard and the poster.

A URL is checked twice. When it is saved (`check_destination`, `check_*_url`), for what
the text alone shows: its scheme, user info, a literal address, its vendor's form. And
when connecting (`SafePoster.post`): the poster resolves the host itself, refuses the
request if ANY address it resolves to is not public, and connects to one of those
checked addresses, with the real host name in the Host header, in TLS SNI and in the
certificate check. So a name that resolved to a public address when it was saved and
to 127.0.0.1 a minute later (DNS rebinding) is refused, and no redirect is followed
(a 3xx could point anywhere).
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from infrasync.channels.base import Delivered, Outcome, Permanent, Retry
from infrasync.config import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses it resolves to, as text. Injectable so tests can play
# a rebinding DNS server; the default asks the operating system.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Per-phase timeouts restart with every byte; a receiver dripping its answer one byte at
# a time must not hold a worker slot for longer than this, all phases together.
DEFAULT_DEADLINE = 30.0
# Receivers answer "ok", a message object or an error code; more than this is not
# something we need to read.
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "Infrasync-Delivery"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeDestination(ValueError):
    """The URL may not be reached. A ValueError, so saving it is a 422 with this text."""


# The address checks -----------------------------------------------------------------------


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to the same host: IPv4-mapped
    (::ffff:127.0.0.1), NAT64, 6to4 and Teredo all end up at that IPv4 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def refusal(address: Address) -> str | None:
    """Why `address` is not a public destination (as a phrase for a sentence), or None.

    Each property is tested on its own rather than trusting `is_global` alone, whose
    meaning has changed between Python versions (multicast counted as global in 3.11)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:  # 169.254.169.254 is the cloud metadata service
        return "a link-local or cloud metadata address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def _literal_address(host: str) -> Address | None:
    """`host` as an IP address, if it is one. Besides the usual forms this reads the
    legacy IPv4 spellings that the C resolver accepts (`2130706433`, `0x7f.1`, `127.1`),
    so they cannot pass as names at save time."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise UnsafeDestination("The URL is not a valid URL.") from None
    if not parsed.host:
        raise UnsafeDestination("The URL has no host name.")
    return parsed


def _check_url(parsed: httpx.URL, *, production: bool, allow_private: bool) -> None:
    allowed_schemes = {"https"} if production else {"https", "http"}
    if parsed.scheme not in allowed_schemes:
        raise UnsafeDestination(
            "The URL must start with https://." if production else "The URL must use http or https."
        )
    if parsed.userinfo:
        raise UnsafeDestination("The URL must not contain a user name or password.")
    if allow_private:
        return
    host = parsed.host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeDestination("The URL points to this machine, which is not allowed.")
    address = _literal_address(host)
    if address is not None:
        reason = refusal(address)
        if reason is not None:
            raise UnsafeDestination(f"The URL points to {reason}, which is not allowed.")


def check_destination(url: str, *, production: bool, allow_private: bool) -> None:
    """What the URL's text alone shows, at save time: https in production, no user info,
    no literal loopback/private/link-local/metadata/reserved/multicast/unspecified
    address (v4 or v6, IPv4-mapped included) unless `allow_private`. A name is resolved
    and checked when connecting, by `SafePoster`."""
    _check_url(_parse(url), production=production, allow_private=allow_private)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


async def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolver: Resolver
) -> list[Address]:
    """Every address `host` resolves to, all of them checked: one bad address refuses the
    lot (a resolver may hand out another order next time). Raises UnsafeDestination, or
    httpx.ConnectError when the name does not resolve (that may pass)."""
    literal = _literal_address(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            answers = await resolver(host, port)
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            raise httpx.ConnectError("the host name did not resolve") from exc
        addresses = []
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer.split("%", 1)[0])  # drop an IPv6 zone
            except ValueError as exc:
                raise httpx.ConnectError(
                    "the resolver gave something else than an address"
                ) from exc
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise httpx.ConnectError("the host name did not resolve")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise UnsafeDestination(f"The host name resolves to {reason}.")
    return addresses


# The poster -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A receiver's answer, its body read up to MAX_ANSWER_BYTES."""

    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace").strip()

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return None


class SafePoster:
    """POSTs to user-supplied URLs, checked when connecting (see the module's docstring).

    Keep-alive is off on purpose: every post opens its own connection, so every post is
    resolved and checked, and a pooled connection made for one host name can never carry
    a request for another name that happens to resolve to the same address (the pool is
    keyed by the address we connect to, not by the name in SNI)."""

    def __init__(
        self,
        *,
        production: bool,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.production = production
        self.allow_private = allow_private
        self._resolver = resolver
        self._deadline = deadline
        self._client = httpx.AsyncClient(
            timeout=timeout,
            verify=verify,
            follow_redirects=False,
            # Proxy settings from the environment would send the request somewhere we
            # did not check.
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": USER_AGENT},
        )

    @classmethod
    def for_settings(cls, settings: Settings, **options: Any) -> SafePoster:
        """The poster the worker uses: https only in production, private addresses only
        when the operator allows them (INFRASYNC_ALLOW_PRIVATE_WEBHOOKS)."""
        options.setdefault("deadline", settings.delivery_timeout_seconds)
        return cls(
            production=settings.is_production,
            allow_private=settings.allow_private_webhooks,
            **options,
        )

    async def __aenter__(self) -> SafePoster:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(
        self,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        """Raises UnsafeDestination, TimeoutError (the deadline), or httpx.TransportError
        (httpx.TimeoutException included)."""
        async with asyncio.timeout(self._deadline):
            return await self._post(url, content=content, headers=headers, params=params)

    async def _post(
        self,
        url: str,
        *,
        content: bytes,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
    ) -> Answer:
        parsed = _parse(url)
        if params:
            parsed = parsed.copy_merge_params(dict(params))
        _check_url(parsed, production=self.production, allow_private=self.allow_private)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        addresses = await checked_addresses(
            host, port, allow_private=self.allow_private, resolver=self._resolver
        )
        failure: httpx.ConnectError | None = None
        for address in addresses:
            try:
                return await self._post_to(address, parsed, content=content, headers=headers)
            except httpx.ConnectError as exc:  # refused or unreachable: the next address
                failure = exc
        assert failure is not None
        raise failure

    async def _post_to(
        self, address: Address, url: httpx.URL, *, content: bytes, headers: Mapping[str, str]
    ) -> Answer:
        extensions: dict[str, Any] = {}
        target = url
        if _literal_address(url.host) is None:
            target = url.copy_with(host=str(address))
            # TLS speaks to the name: SNI and the certificate check use it, not the address.
            extensions["sni_hostname"] = url.raw_host.decode("ascii")
        request_headers = {**headers, "Host": url.netloc.decode("ascii")}
        request = self._client.build_request(
            "POST", target, content=content, headers=request_headers, extensions=extensions
        )
        response = await self._client.send(request, stream=True)
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) >= MAX_ANSWER_BYTES:
                    break
        finally:
            await response.aclose()
        return Answer(response.status_code, response.headers, bytes(body[:MAX_ANSWER_BYTES]))


# From failures to outcomes ----------------------------------------------------------------


async def post_part(
    poster: SafePoster,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
) -> Answer | Retry | Permanent:
    """One part posted, or the outcome that ends the attempt when no answer came (or the
    answer was a redirect). The errors name no URL, host or address."""
    try:
        answer = await poster.post(url, content=content, headers=headers, params=params)
    except UnsafeDestination:
        return Permanent(None, "The channel's address is not allowed.")
    except (TimeoutError, httpx.TimeoutException):
        return Retry(None, "The receiver did not answer in time.")
    except httpx.TransportError:
        return Retry(None, "Could not connect to the receiver.")
    if 300 <= answer.status < 400:
        # The channel's URL is not where the receiver is: an admin must change it.
        return Permanent(answer.status, "The receiver answered with a redirect.")
    return answer


@dataclass(frozen=True)
class Accepted:
    """The receiver took one part."""

    status: int
    receipt: str | None = None


async def send_in_order(
    parts: Sequence[bytes],
    first_part: int,
    send_one: Callable[[bytes], Awaitable[Accepted | Retry | Permanent]],
) -> Outcome:
    """Sends `parts[first_part:]` one after the other, stopping at the first that is not
    accepted; that outcome then counts the parts this attempt did deliver."""
    receipts: list[str] = []
    status: int | None = None
    for sent, part in enumerate(parts[first_part:]):
        result = await send_one(part)
        if not isinstance(result, Accepted):
            return dataclasses.replace(result, parts_sent=sent)
        status = result.status
        if result.receipt is not None:
            receipts.append(result.receipt)
    return Delivered(status, tuple(receipts))


def server_error(vendor: str, status: int) -> Retry:
    return Retry(status, f"{vendor} had a server error (HTTP {status}).")


_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def error_code(text: str) -> str | None:
    """A vendor's plain-text error code (`no_service`), when the body is one; anything
    else is not repeated, since a body may echo what we sent."""
    return text if _ERROR_CODE.fullmatch(text) else None


# Vendor forms at save time ----------------------------------------------------------------

_SLACK_HOSTS = frozenset({"hooks.slack.com"})
_SLACK_PATH = re.compile(r"/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+")
_DISCORD_HOSTS = frozenset(
    f"{prefix}{domain}"
    for prefix in ("", "ptb.", "canary.")
    for domain in ("discord.com", "discordapp.com")
)
_DISCORD_PATH = re.compile(r"/api(?:/v\d{1,2})?/webhooks/\d{1,20}/[A-Za-z0-9_-]+")
_DISCORD_QUERY = re.compile(r"(?:thread_id=\d{1,20})?")


def _vendor_url(
    url: str, hosts: frozenset[str], *, production: bool, allow_private: bool
) -> httpx.URL:
    parsed = _parse(url)
    if parsed.fragment:
        raise ValueError("The URL must not have a #fragment.")
    if not allow_private and (parsed.scheme != "https" or parsed.host not in hosts):
        shown = min(hosts, key=len)
        raise ValueError(f"The URL must start with https://{shown}/.")
    _check_url(parsed, production=production, allow_private=allow_private)
    return parsed


def check_slack_url(url: str, *, production: bool = True, allow_private: bool = False) -> None:
    """A Slack incoming webhook: https://hooks.slack.com/services/T…/B…/…. With
    `allow_private` (tests, self-hosted) any host is accepted, but the path must have
    Slack's form. Raises ValueError (UnsafeDestination is one) with a sentence."""
    parsed = _vendor_url(url, _SLACK_HOSTS, production=production, allow_private=allow_private)
    if not _SLACK_PATH.fullmatch(parsed.path) or parsed.query:
        raise ValueError(
            "This is not a Slack incoming webhook URL; it looks like "
            "https://hooks.slack.com/services/T…/B…/…."
        )


def check_discord_url(url: str, *, production: bool = True, allow_private: bool = False) -> None:
    """A Discord webhook: https://discord.com/api[/vN]/webhooks/<id>/<token> (also
    discordapp.com, ptb. and canary.), optionally `?thread_id=<id>`."""
    parsed = _vendor_url(url, _DISCORD_HOSTS, production=production, allow_private=allow_private)
    query = parsed.query.decode("ascii")
    if not _DISCORD_PATH.fullmatch(parsed.path) or not _DISCORD_QUERY.fullmatch(query):
        raise ValueError(
            "This is not a Discord webhook URL; it looks like "
            "https://discord.com/api/webhooks/<id>/<token>."
        )


def check_webhook_url(url: str, *, production: bool, allow_private: bool) -> None:
    """A generic webhook: any URL that passes `check_destination`, without a #fragment."""
    parsed = _parse(url)
    if parsed.fragment:
        raise ValueError("The URL must not have a #fragment.")
    _check_url(parsed, production=production, allow_private=allow_private)
