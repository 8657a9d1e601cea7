"""Local fakes of Slack incoming webhooks, Discord webhooks and Standard Webhooks
consumers: real HTTP on 127.0.0.1, speaking each vendor's wire format as documented:
Slack's incoming webhooks guide and its 2016-05-17 changelog of webhook errors (200 `ok`,
plain-text error codes), Block Kit's block reference; Discord's "Execute Webhook",
"Embed Limits" and rate-limit pages (discord/discord-api-docs); standardwebhooks.com.

Each receiver
- answers from a script of replies (per URL path, then a shared one), else fails a
  `failure_rate` share of requests with one of `failures` drawn by a seeded RNG, else
  takes the message;
- VALIDATES what it gets against the vendor's documented limits (Slack: the `slack_sdk`
  Block Kit models, 50 blocks; Discord: 2,000 content characters, 10 embeds, 6,000
  embed characters and the per-field limits; webhooks: the Standard Webhooks signature,
  checked by the `standardwebhooks` library) and answers an invalid one as the vendor
  does, with a 400 (a 401 for a bad signature);
- records every request, with what it answered, thread-safely, so a test (or a chaos
  run with many channels) can count per path what was received and what was accepted.

    with SlackReceiver().serving() as slack:
        url = slack.webhook_url()
        slack.script(RateLimited(2), Ok())
        ...
        assert [r.status for r in slack.requests()] == [429, 200]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.http_server import serve_in_thread

# Replies a test can script ---------------------------------------------------------------


@dataclass(frozen=True)
class Ok:
    """Take the message, if it is valid (an invalid one gets the vendor's 400)."""


@dataclass(frozen=True)
class RateLimited:
    retry_after: float = 1.0  # Discord sends it fractional in the body; headers round up


@dataclass(frozen=True)
class ServerError:
    status: int = 500


@dataclass(frozen=True)
class Gone:
    """The vendor's "this webhook is no more": Slack 404 `no_service`, Discord 404
    Unknown Webhook (10015), a Standard Webhooks consumer's 410."""


@dataclass(frozen=True)
class Status:
    """Any other answer, as given (Slack's 410 `channel_is_archived`, a 400, …)."""

    status: int
    body: str = ""
    content_type: str = "text/plain"


@dataclass(frozen=True)
class Redirect:
    location: str
    status: int = 302


@dataclass(frozen=True)
class Slow:
    """Hold the answer until `release` is set (or `seconds` passed, or the receiver
    stops), then answer `then`. A test that wants a client timeout holds on an event it
    never sets, so it does not depend on how fast the machine is."""

    release: threading.Event | None = None
    seconds: float | None = None
    then: Reply = field(default_factory=Ok)


Reply = Ok | RateLimited | ServerError | Gone | Status | Redirect | Slow


@dataclass(frozen=True)
class Received:
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what the receiver answered
    problems: tuple[str, ...] = ()  # why it was invalid; empty when valid
    receipt: str | None = None  # Discord's message id; the webhook-id of a webhook

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body)


# The shared machinery --------------------------------------------------------------------


class ChatReceiver:
    kind: ClassVar[str]

    def __init__(
        self,
        *,
        failure_rate: float = 0.0,
        failures: Sequence[Reply] = (ServerError(), RateLimited(1.0)),
        seed: int = 0,
        latency: float = 0.0,
    ) -> None:
        self.failure_rate = failure_rate
        self.failures = tuple(failures)
        self.latency = latency  # seconds added to every answer (benchmarks)
        self.base_url = ""  # set while served
        self._rng = random.Random(seed)
        self._lock = threading.Condition()
        self._script: deque[Reply] = deque()
        self._path_scripts: dict[str, deque[Reply]] = {}
        self._received: list[Received] = []
        self._closing = False

    # Scripting

    def script(self, *replies: Reply, path: str | None = None) -> None:
        """Queue replies, for one path (a channel) or for any request."""
        with self._lock:
            queue = self._script if path is None else self._path_scripts.setdefault(path, deque())
            queue.extend(replies)

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            own = self._path_scripts.get(path)
            if own:
                return own.popleft()
            if self._script:
                return self._script.popleft()
            if self.failures and self._rng.random() < self.failure_rate:
                return self._rng.choice(self.failures)
            return Ok()

    # What was received

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    def accepted(self, path: str | None = None) -> list[Received]:
        return [r for r in self.requests(path) if r.accepted]

    def requests_by_path(self) -> Counter[str]:
        return Counter(r.path for r in self.requests())

    def accepted_by_path(self) -> Counter[str]:
        return Counter(r.path for r in self.accepted())

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Received]:
        """Blocks until `count` requests have been answered (recorded)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._received) >= count, timeout):
                raise AssertionError(f"{self.kind}: {len(self._received)} of {count} requests")
            return list(self._received)

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()

    # Serving

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])

    @contextmanager
    def serving(self, *, certfile: str | None = None, keyfile: str | None = None) -> Iterator[Self]:
        with serve_in_thread(self.app(), certfile=certfile, keyfile=keyfile) as base_url:
            self.base_url = base_url
            try:
                yield self
            finally:
                self._closing = True  # lets held (Slow) answers go, so the server can stop

    async def _hold(self, slow: Slow) -> None:
        deadline = None if slow.seconds is None else time.monotonic() + slow.seconds
        while not self._closing:
            if slow.release is not None and slow.release.is_set():
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.005)

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        headers = {name.lower(): value for name, value in request.headers.items()}
        if self.latency:
            await asyncio.sleep(self.latency)
        reply = self._next_reply(path)
        while isinstance(reply, Slow):
            await self._hold(reply)
            reply = reply.then
        problems = tuple(self.validate(request, headers, body))
        receipt: str | None = None
        if isinstance(reply, Ok):
            if problems:
                response = self.invalid(problems)
            else:
                response, receipt = self.take(request, headers, body)
        elif isinstance(reply, RateLimited):
            response = self.rate_limited(reply.retry_after)
        elif isinstance(reply, ServerError):
            response = self.server_error(reply.status)
        elif isinstance(reply, Gone):
            response = self.gone()
        elif isinstance(reply, Redirect):
            response = Response(status_code=reply.status, headers={"Location": reply.location})
        else:
            response = Response(reply.body, reply.status, media_type=reply.content_type)
        self._record(
            Received(
                path=path,
                query=request.url.query,
                headers=headers,
                body=body,
                status=response.status_code,
                problems=problems,
                receipt=receipt if receipt is not None else self.receipt_of(headers),
            )
        )
        return response

    # What each vendor does differently

    def validate(self, request: Request, headers: dict[str, str], body: bytes) -> list[str]:
        raise NotImplementedError

    def invalid(self, problems: tuple[str, ...]) -> Response:
        raise NotImplementedError

    def take(
        self, request: Request, headers: dict[str, str], body: bytes
    ) -> tuple[Response, str | None]:
        return PlainTextResponse("ok"), None

    def rate_limited(self, retry_after: float) -> Response:
        return PlainTextResponse(
            "rate_limited", 429, headers={"Retry-After": str(math.ceil(retry_after))}
        )

    def server_error(self, status: int) -> Response:
        return PlainTextResponse("internal error", status)

    def gone(self) -> Response:
        raise NotImplementedError

    def receipt_of(self, headers: dict[str, str]) -> str | None:
        return None


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


# Slack -----------------------------------------------------------------------------------

SLACK_MAX_BLOCKS = 50


class SlackReceiver(ChatReceiver):
    """`POST /services/T…/B…/<token>`; 200 `ok`, errors as plain-text codes."""

    kind = "slack"
    _numbers = itertools.count(1)

    def webhook_url(self) -> str:
        number = next(self._numbers)
        return f"{self.base_url}/services/T0FAKE/B{number:06d}/token{number}"

    def validate(self, request: Request, headers: dict[str, str], body: bytes) -> list[str]:
        payload = _json_object(body)
        if payload is None:
            return ["invalid_payload"]
        text, blocks = payload.get("text"), payload.get("blocks")
        if not text and not blocks and not payload.get("attachments"):
            return ["missing_text_or_fallback_or_attachments"]
        if text is not None and not isinstance(text, str):
            return ["invalid_payload"]
        if blocks is None:
            return []
        if not isinstance(blocks, list):
            return ["invalid_blocks: blocks must be a list"]
        problems = []
        if len(blocks) > SLACK_MAX_BLOCKS:
            problems.append(f"invalid_blocks: {len(blocks)} blocks, at most {SLACK_MAX_BLOCKS}")
        for index, raw in enumerate(blocks):
            problems.extend(f"invalid_blocks: block {index}: {p}" for p in _block_problems(raw))
        return problems

    def invalid(self, problems: tuple[str, ...]) -> Response:
        return PlainTextResponse(problems[0].split(":", 1)[0], 400)

    def server_error(self, status: int) -> Response:
        return PlainTextResponse("rollup_error", status)

    def gone(self) -> Response:
        return PlainTextResponse("no_service", 404)


def _block_problems(raw: Any) -> list[str]:
    block = Block.parse(raw) if isinstance(raw, dict) else None
    if block is None:
        return [f"not a known block: {str(raw)[:80]}"]
    try:
        block.validate_json()
    except SlackObjectFormationError as error:
        return [str(error)]
    # Block Kit: a header's text is plain_text only (slack_sdk does not check this).
    if raw.get("type") == "header" and raw.get("text", {}).get("type") != "plain_text":
        return ["a header's text must be plain_text"]
    return []


# Discord ---------------------------------------------------------------------------------

DISCORD_MAX_CONTENT = 2000
DISCORD_MAX_EMBEDS = 10
DISCORD_MAX_EMBED_TOTAL = 6000
DISCORD_EMBED_LIMITS = {"title": 256, "description": 4096}
DISCORD_MAX_FIELDS = 25
DISCORD_FIELD_LIMITS = {"name": 256, "value": 1024}


class DiscordReceiver(ChatReceiver):
    """`POST /api[/vN]/webhooks/<id>/<token>[?wait=true]`; with wait, 200 and the
    created message (its `id` a snowflake), without it 204; errors as JSON."""

    kind = "discord"
    _webhook_ids = itertools.count(1_100_000_000_000_000_000)
    _message_ids = itertools.count(1_300_000_000_000_000_000)

    def webhook_url(self) -> str:
        webhook_id = next(self._webhook_ids)
        return f"{self.base_url}/api/webhooks/{webhook_id}/tok-en_{webhook_id % 10_000}"

    def validate(self, request: Request, headers: dict[str, str], body: bytes) -> list[str]:
        payload = _json_object(body)
        if payload is None:
            return ["50109: the request body contains invalid JSON"]
        problems = []
        content = payload.get("content")
        embeds = payload.get("embeds") or []
        if not content and not embeds:
            return ["50006: cannot send an empty message"]
        if content is not None and len(str(content)) > DISCORD_MAX_CONTENT:
            problems.append(f"content: {len(str(content))} characters, at most 2000")
        if not isinstance(embeds, list):
            return [*problems, "embeds: must be a list"]
        if len(embeds) > DISCORD_MAX_EMBEDS:
            problems.append(f"embeds: {len(embeds)} embeds, at most {DISCORD_MAX_EMBEDS}")
        total = 0
        for index, embed in enumerate(embeds):
            counted, found = _embed_problems(embed)
            total += counted
            problems.extend(f"embeds.{index}.{p}" for p in found)
        if total > DISCORD_MAX_EMBED_TOTAL:
            problems.append(f"embeds: {total} characters in all, at most 6000")
        return problems

    def invalid(self, problems: tuple[str, ...]) -> Response:
        if problems[0].startswith(("50109", "50006")):
            code, message = problems[0].split(": ", 1)
            return JSONResponse({"code": int(code), "message": message}, 400)
        errors = {p.split(":", 1)[0]: {"_errors": [{"message": p}]} for p in problems}
        return JSONResponse({"code": 50035, "message": "Invalid Form Body", "errors": errors}, 400)

    def take(
        self, request: Request, headers: dict[str, str], body: bytes
    ) -> tuple[Response, str | None]:
        if request.query_params.get("wait") != "true":
            return Response(status_code=204), None
        payload = json.loads(body)
        message_id = str(next(self._message_ids))
        message = {
            "id": message_id,
            "type": 0,
            "channel_id": "1200000000000000000",
            "webhook_id": request.url.path.rstrip("/").split("/")[-2],
            "content": payload.get("content", ""),
            "embeds": payload.get("embeds", []),
            "timestamp": "2026-01-05T09:00:00.000000+00:00",
        }
        return JSONResponse(message), message_id

    def rate_limited(self, retry_after: float) -> Response:
        return JSONResponse(
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            429,
            headers={"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Scope": "user"},
        )

    def server_error(self, status: int) -> Response:
        return JSONResponse({"message": f"{status}: Internal Server Error", "code": 0}, status)

    def gone(self) -> Response:
        return JSONResponse({"message": "Unknown Webhook", "code": 10015}, 404)


def _text_length(value: Any) -> int:
    # Discord trims leading and trailing whitespace and does not count it.
    return len(value.strip()) if isinstance(value, str) else 0


def _embed_problems(embed: Any) -> tuple[int, list[str]]:
    """(characters counted towards the 6,000, problems)."""
    if not isinstance(embed, dict):
        return 0, ["must be an object"]
    problems = []
    counted = 0
    for key, limit in DISCORD_EMBED_LIMITS.items():
        length = _text_length(embed.get(key))
        counted += length
        if length > limit:
            problems.append(f"{key}: {length} characters, at most {limit}")
    for key, limit in (("footer", 2048), ("author", 256)):
        part = embed.get(key) or {}
        length = _text_length(part.get("text" if key == "footer" else "name"))
        counted += length
        if length > limit:
            problems.append(f"{key}: {length} characters, at most {limit}")
    fields = embed.get("fields") or []
    if len(fields) > DISCORD_MAX_FIELDS:
        problems.append(f"fields: {len(fields)} fields, at most {DISCORD_MAX_FIELDS}")
    for index, item in enumerate(fields):
        for key, limit in DISCORD_FIELD_LIMITS.items():
            value = item.get(key) if isinstance(item, dict) else None
            length = _text_length(value)
            counted += length
            if not length:
                problems.append(f"fields.{index}.{key}: required")
            elif length > limit:
                problems.append(f"fields.{index}.{key}: {length} characters, at most {limit}")
    return counted, problems


# Standard Webhooks consumer --------------------------------------------------------------


class WebhookReceiver(ChatReceiver):
    """A consumer of Standard Webhooks: each endpoint (path) has its secret, checks the
    signature with the `standardwebhooks` library (401 when it does not verify) and keeps
    the `webhook-id` of what it took, as a receiver deduplicating on it would."""

    kind = "webhook"
    _numbers = itertools.count(1)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._secrets: dict[str, str] = {}

    def endpoint(self, secret: str) -> str:
        """A new endpoint's URL, whose requests must be signed with `secret`."""
        path = f"/hooks/{next(self._numbers)}"
        with self._lock:
            self._secrets[path] = secret
        return self.base_url + path

    def set_secret(self, url: str, secret: str) -> None:
        """The consumer picks up a rotated secret."""
        path = url.removeprefix(self.base_url)
        with self._lock:
            self._secrets[path] = secret

    def validate(self, request: Request, headers: dict[str, str], body: bytes) -> list[str]:
        with self._lock:
            secret = self._secrets.get(request.url.path)
        if secret is None:
            return ["no such endpoint"]
        try:
            payload = Webhook(secret).verify(body, headers)
        except WebhookVerificationError as error:
            return [f"signature: {error}"]
        except ValueError:  # a malformed signature header, or a body that is not JSON
            return ["the signature or the body is malformed"]
        return [] if isinstance(payload, dict) else ["the body is not a JSON object"]

    def invalid(self, problems: tuple[str, ...]) -> Response:
        return JSONResponse({"error": problems[0]}, 401)

    def take(
        self, request: Request, headers: dict[str, str], body: bytes
    ) -> tuple[Response, str | None]:
        return Response(status_code=204), None

    def gone(self) -> Response:
        return PlainTextResponse("gone", 410)

    def receipt_of(self, headers: dict[str, str]) -> str | None:
        return headers.get("webhook-id")

    def webhook_ids(self, url: str | None = None) -> list[str]:
        """The webhook-ids this consumer took (2xx), in order."""
        path = None if url is None else url.removeprefix(self.base_url)
        return [r.receipt for r in self.accepted(path) if r.receipt is not None]
