"""Prometheus metrics, one registry per app so tests can build many apps side by side."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

from infrasync.errors import Unauthorized


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        self.requests = Counter(
            "infrasync_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "infrasync_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        401: {"description": "INFRASYNC_METRICS_TOKEN is set and the bearer token is wrong"},
    },
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: request counts and latency by route template, process figures."""
    settings = request.app.state.settings
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}"
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized(
                "Metrics need `Authorization: Bearer <INFRASYNC_METRICS_TOKEN>`.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    registry = request.app.state.http_metrics.registry
    worker_metrics = getattr(request.app.state, "worker_metrics", None)
    if worker_metrics is not None:
        await worker_metrics.refresh()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
