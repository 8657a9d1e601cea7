"""The FastAPI application factory: API, operations endpoints and the web app."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

from infrasync import __version__, api_docs, frontend, server_info
from infrasync.analytics import router as analytics_router
from infrasync.audit import router as audit_router
from infrasync.auth import router as auth_router
from infrasync.billing import router as billing_router
from infrasync.compliance import router as compliance_router
from infrasync.config import Settings
from infrasync.db import create_engine_for, pool_size_for, session_factory
from infrasync.delivery import router as delivery_router
from infrasync.digests import router as digests_router
from infrasync.errors import ERROR_BODIES, NotFound, documented
from infrasync.feeds import router as feeds_router
from infrasync.github.metrics import register_github_metrics
from infrasync.http_errors import install_error_handlers
from infrasync.kit.request_guards import RequestGuardMiddleware
from infrasync.kit.security_headers import SecurityHeadersMiddleware
from infrasync.monitors import router as monitors_router
from infrasync.observability import health, metrics
from infrasync.observability.metrics import HttpMetrics
from infrasync.observability.requests import RequestContextMiddleware
from infrasync.observability.worker_metrics import register_worker_metrics
from infrasync.orgs import router as orgs_router
from infrasync.scheduler.worker import Worker, WorkerOptions


def _api_not_found_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

    @router.api_route("/api", methods=methods)
    @router.api_route("/api/{path:path}", methods=methods)
    async def api_not_found(request: Request) -> None:
        raise NotFound(f"No API route {request.method} {request.url.path}. See /docs for the API.")

    return router


def _operation_id(route: APIRoute) -> str:
    return route.name


@functools.cache
def _domain_routes() -> tuple[BaseRoute, ...]:
    """The API's routes, built once per process and shared by each app `create_app` makes.

    FastAPI works out each route's dependencies and fields for every app that includes
    it, on the app's first requests: ~100 ms of CPU per app, which every test paid again
    with the app of its own. The routes hold nothing of an app: handlers reach the
    settings and the database through `request.app.state`, and no app overrides
    dependencies, so one set serves them all."""
    shared = APIRouter(generate_unique_id_function=_operation_id)
    shared.include_router(health.router)
    shared.include_router(metrics.router)
    # Every API route can meet a body or parameters it cannot use: say so in the schema.
    input_errors = documented(400, 422)
    shared.include_router(server_info.router)
    for router in (
        auth_router.router,
        compliance_router.router,
        orgs_router.router,
        audit_router.router,
        monitors_router.router,
        monitors_router.tokens_router,
        digests_router.router,
        delivery_router.router,
        delivery_router.unsubscribe_router,
        billing_router.router,
        billing_router.webhook_router,
        feeds_router.router,
        feeds_router.public_router,
        analytics_router.router,
    ):
        shared.include_router(router, responses=input_errors)
    return tuple(shared.routes)


def _document_error_bodies(app: FastAPI) -> None:
    """Adds the error bodies' schemas to the OpenAPI document's components: `documented`
    refers to them by name rather than making FastAPI build them for every route."""
    build_document = app.openapi

    def document_with_error_bodies() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build_document()  # kept by FastAPI as app.openapi_schema
        _, definitions = models_json_schema(
            [(body, "serialization") for body in ERROR_BODIES],
            ref_template="#/components/schemas/{model}",
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(definitions["$defs"])
        # FastAPI lists the components by name: so does this, for a stable document.
        document["components"]["schemas"] = dict(sorted(schemas.items()))
        return document

    app.openapi = document_with_error_bodies  # type: ignore[method-assign]


def create_app(
    settings: Settings,
    *,
    web_dist: Path | None = None,
    worker: bool = False,
    worker_options: WorkerOptions | None = None,
) -> FastAPI:
    """The app; with `worker`, it also schedules and delivers in-process (`serve`)."""
    options = (worker_options or WorkerOptions()) if worker else None
    engine = create_engine_for(
        settings.effective_database_url,
        pool_size=pool_size_for(
            settings.database_pool_size, concurrency=options.concurrency if options else 0
        ),
    )
    factory = session_factory(engine)
    in_process = Worker(settings, factory, options) if options else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(in_process.run(stop)) if in_process else None
        try:
            yield
        finally:
            if task is not None:
                stop.set()
                await task
            await engine.dispose()

    app = FastAPI(
        title="Infrasync",
        version=__version__,
        description="Digests of your GitHub repositories' activity, on your team's schedule.",
        lifespan=lifespan,
        # Operation ids become the typed web client's names: `health`, not `health_health_get`.
        # FastAPI warns on a duplicate, and the tests turn warnings into failures.
        generate_unique_id_function=_operation_id,
        # The domain's routes, shared by every app this process makes (see _domain_routes);
        # the catch-alls below come after FastAPI's /openapi.json.
        routes=list(_domain_routes()),
        # /docs and /redoc come from api_docs, with their files from this server, not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.worker = in_process
    app.state.http_metrics = HttpMetrics()
    # The queue's gauges and the workers' counters, from the database, so they hold
    # whichever processes work the queue.
    app.state.worker_metrics = register_worker_metrics(app.state.http_metrics.registry, factory)
    # GitHub's rate-limit budget per token (by hash), as this process has seen it.
    register_github_metrics(app.state.http_metrics.registry)

    install_error_handlers(app)
    _document_error_bodies(app)
    app.include_router(api_docs.build_router(app.title))
    app.include_router(_api_not_found_router())
    app.include_router(frontend.build_router(web_dist or frontend.WEB_DIST))

    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.effective_frontend_url],
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-CSRF-Token", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    # Body size and NUL bytes, checked once for every route: see kit/request_guards.
    app.add_middleware(RequestGuardMiddleware)
    # Added last, so it runs first: every response, even a 413 or a 500, gets an id.
    app.add_middleware(RequestContextMiddleware, metrics=app.state.http_metrics)
    # Outside even that, so the 500 it sends carries the security headers too.
    app.add_middleware(
        SecurityHeadersMiddleware,
        github_url=settings.github_url,
        production=settings.is_production,
    )
    return app
