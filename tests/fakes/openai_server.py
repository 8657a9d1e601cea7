"""A local OpenAI-compatible chat completions endpoint with scripted answers.

Speaks the real wire format (`POST /v1/chat/completions`, the `chat.completion` object)
so the `openai` SDK talks to it as to any hosted model. Each request takes the next
scripted step: an answer, an HTTP error, or a delay longer than the client's timeout.

With `response_format=False` it plays the many local servers that know no structured
output: a request that asks for a `response_format` is answered 400, as llama.cpp's and
older vLLM servers answer it, and takes no step of the script.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.http_server import serve_in_thread


@dataclass(frozen=True)
class Answer:
    content: str


def json_answer(document: object) -> Answer:
    """An answer whose content is `document` as JSON, as a model under a schema writes it."""
    return Answer(json.dumps(document))


@dataclass(frozen=True)
class Fail:
    status: int
    message: str = "The server had an error while processing your request."


@dataclass(frozen=True)
class Stall:
    seconds: float


@dataclass(frozen=True)
class Reply:
    """An answer made from the request itself (its messages), as a model reads its facts
    before it writes: for tests whose facts come from a fake GitHub."""

    make: Callable[[dict[str, Any]], str]


Step = Answer | Fail | Stall | Reply


@dataclass
class FakeOpenAI:
    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    # False: a server without structured output, which refuses `response_format`.
    response_format: bool = True
    refused: int = 0  # requests answered 400 for their response_format
    base_url: str = ""  # set while it is served

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])

    async def complete(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        self.authorizations.append(request.headers.get("authorization", ""))
        if "response_format" in body and not self.response_format:
            self.refused += 1
            return JSONResponse(
                {
                    "error": {
                        "message": "Unsupported parameter: 'response_format'",
                        "type": "invalid_request_error",
                        "code": None,
                    }
                },
                status_code=400,
            )
        step = self.script.pop(0) if self.script else Fail(500, "no scripted answer left")
        if isinstance(step, Stall):
            await asyncio.sleep(step.seconds)
            step = Answer("too late")
        if isinstance(step, Reply):
            step = Answer(step.make(body))
        if isinstance(step, Fail):
            return JSONResponse(
                {"error": {"message": step.message, "type": "server_error", "code": None}},
                status_code=step.status,
            )
        return JSONResponse(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "test-model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": step.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
            }
        )


@contextmanager
def served_fake_openai() -> Iterator[FakeOpenAI]:
    """A FakeOpenAI listening on 127.0.0.1; `base_url` is its address."""
    fake = FakeOpenAI()
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake
