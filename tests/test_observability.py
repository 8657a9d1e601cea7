from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, SecretStr

from infrasync.observability.logging import configure_logging


class Payload(BaseModel):
    count: int


def _samples(text: str, name: str) -> list[dict[str, str]]:
    return [
        dict(sample.labels)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


async def test_metrics_label_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/orgs/acme/monitors/3")
    await client.get("/orgs/globex/monitors/4")
    await client.get("/api/orgs/acme/unknown")
    await client.get("/health")

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    requests = _samples(response.text, "infrasync_http_requests_total")
    routes = {(sample["route"], sample["status"]) for sample in requests}
    assert ("/{path:path}", "200") in routes
    assert ("/api/{path:path}", "404") in routes
    assert ("/health", "200") in routes
    assert "acme" not in json.dumps(requests)  # raw paths would explode cardinality
    web_app = next(s for s in requests if s["route"] == "/{path:path}")
    assert web_app["method"] == "GET"

    latency = _samples(response.text, "infrasync_http_request_duration_seconds_count")
    assert {"method": "GET", "route": "/health"} in latency
    assert _samples(response.text, "process_cpu_seconds_total"), "process metrics missing"


async def test_metrics_token_is_required_when_set(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.state.settings = app.state.settings.model_copy(update={"metrics_token": SecretStr("t0ken")})
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "t0ken" not in wrong.text
    right = await client.get("/metrics", headers={"Authorization": "Bearer t0ken"})
    assert right.status_code == 200


async def test_a_well_formed_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "lb-7f3a.91:x"})
    assert response.headers["x-request-id"] == "lb-7f3a.91:x"


@pytest.mark.parametrize(
    "given", ["", "has space", "a" * 129, "new\nline", "<script>", "-leading-dash"]
)
async def test_a_malformed_request_id_is_replaced(client: httpx.AsyncClient, given: str) -> None:
    response = await client.get("/health", headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_every_response_gets_a_fresh_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/missing")
    second = await client.get("/api/missing")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_bug_is_a_json_500_with_a_request_id_and_a_logged_traceback(
    app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken() -> None:
        raise RuntimeError("database password is hunter2")

    app.router.routes.insert(0, APIRoute("/api/broken", broken))
    configure_logging("json")
    response = await client.get("/api/broken", headers={"X-Request-ID": "req-500"})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"
    assert "hunter2" not in response.text
    assert "Something went wrong on our side" in response.json()["detail"]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    error = next(line for line in lines if line["event"] == "unhandled error")
    assert error["request_id"] == "req-500"
    assert "RuntimeError" in error["exception"]


async def test_log_lines_carry_the_request_id_as_json(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("json")
    await client.get("/orgs/acme", headers={"X-Request-ID": "trace-42"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = next(line for line in lines if line["event"] == "request")
    assert access["request_id"] == "trace-42"
    assert access["route"] == "/{path:path}"
    assert access["status"] == 200
    assert access["level"] == "info"


async def test_console_logs_are_readable_lines(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("console")
    await client.get("/health", headers={"X-Request-ID": "console-1"})
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "request" in line and "/health" in line)
    assert "request_id=console-1" in line
    assert not line.startswith("{")


async def test_validation_errors_are_422_sentences_without_echoing_input(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def accept(payload: Payload) -> dict[str, int]:
        return {"count": payload.count}

    app.router.routes.insert(0, APIRoute("/api/accept", accept, methods=["POST"]))
    response = await client.post("/api/accept", json={"count": "secret-token-value"})
    assert response.status_code == 422
    assert response.json()["detail"] == "The count must be a whole number."
    assert "secret-token-value" not in response.text

    not_json = await client.post(
        "/api/accept", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.json()["detail"] == "The request body is not valid JSON."
