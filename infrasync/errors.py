"""One error family, rendered by one handler as JSON `{"detail": …}` (SPEC §4).

Routes and services raise these; nothing else builds an error response. A user mistake is
a 4xx with a sentence that says what to fix. Anything else that escapes is a bug, logged
with its traceback and answered with a 500 that leaks nothing.

The rendering lives in the web layer (`http_errors.py`): services, sources and the
command line raise these without loading FastAPI or SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class InfrasyncError(Exception):
    status_code = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class BadRequest(InfrasyncError):
    status_code = 400


class Unauthorized(InfrasyncError):
    status_code = 401


class Forbidden(InfrasyncError):
    status_code = 403


class NotFound(InfrasyncError):
    status_code = 404


class Conflict(InfrasyncError):
    status_code = 409


class PaymentRequired(InfrasyncError):
    status_code = 402


class PlanLimitExceeded(PaymentRequired):
    """A change the org's plan does not allow (SPEC §4 billing): 402, naming the limit,
    the plan's allowance and how to lift it, in `detail` and as fields beside it."""

    def __init__(self, message: str, *, limit: str, plan: str, allowed: int | bool | str) -> None:
        super().__init__(message)
        self.limit = limit
        self.plan = plan
        self.allowed = allowed

    @property
    def fields(self) -> dict[str, object]:
        return {"limit": self.limit, "plan": self.plan, "allowed": self.allowed}


class Unprocessable(InfrasyncError):
    """Well-formed input that cannot be used as given (an unknown time zone, a channel URL
    that is not Slack's): 422, with a sentence saying what to fix."""

    status_code = 422


class RateLimited(InfrasyncError):
    status_code = 429

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailable(InfrasyncError):
    """A service we depend on (Stripe) could not be reached or is misconfigured: 503,
    with a sentence saying whether to retry or whom to tell."""

    status_code = 503


class ErrorBody(BaseModel):
    detail: str


class PlanLimitBody(BaseModel):
    detail: str
    limit: str
    plan: str
    allowed: int | bool | str


class ValidationErrorBody(BaseModel):
    detail: str
    errors: list[dict[str, Any]]


OpenApiResponses = dict[int | str, dict[str, Any]]

_DESCRIPTIONS = {
    400: "The request cannot be used as sent; `detail` says what to fix",
    401: "Not signed in, or the session or API key has ended",
    402: "The org's plan does not allow this; `detail` says which limit and how to lift it",
    403: "Your role does not allow this, or the X-CSRF-Token header is missing or wrong",
    404: "No such thing, or it belongs to an org you are not in",
    409: "The change conflicts with the current state; `detail` says how",
    422: "The input is not valid; `detail` says what to fix, `errors` lists each problem",
    413: "The request body is too large",
    429: "Too many attempts; wait for the seconds in Retry-After",
    503: "A service this needs (Stripe) could not be reached; `detail` says what to do",
}


_BODIES: dict[int, type[BaseModel]] = {402: PlanLimitBody, 422: ValidationErrorBody}


ERROR_BODIES: tuple[type[BaseModel], ...] = (ErrorBody, PlanLimitBody, ValidationErrorBody)


def documented(*codes: int, **descriptions: str) -> OpenApiResponses:
    """OpenAPI entries for the error statuses a route can return (clients and schemathesis
    read them). `descriptions` override the default sentence: `documented(404, e404=…)`.

    Each names its body's schema by reference rather than as a `model`: FastAPI builds a
    pydantic field for every `model` of every route in every app, on the app's first
    requests, about 6 per route and 300 ms of CPU per app, only for the OpenAPI document.
    `app.py` adds the three bodies' schemas to the document's components."""
    return {
        code: {
            "description": descriptions.get(f"e{code}", _DESCRIPTIONS[code]),
            "content": {"application/json": {"schema": _schema_ref(_BODIES.get(code, ErrorBody))}},
        }
        for code in codes
    }


def _schema_ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}
