"""The one JSON handler of the `InfrasyncError` family (errors.py), and the answers to
FastAPI's, Starlette's and the database's own errors in the same shape (SPEC §4).

Apart from errors.py so that raising an error loads no web framework nor ORM: services,
sources and the command line raise; only the app renders.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from infrasync import validation_messages
from infrasync.errors import InfrasyncError, PlanLimitExceeded, Unprocessable


def error_response(
    status_code: int, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code, headers=headers)


def validation_problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's problems as the client reads them: `field` (`name`, `schedule.at`) and
    `message` (a sentence) beside pydantic's `loc`, `type` and `msg`. Never the input,
    which may be a secret pasted into the wrong field."""
    return [
        {
            "loc": list(error.get("loc") or ()),
            "type": error.get("type"),
            "msg": error.get("msg"),
            "field": validation_messages.field_of(tuple(error.get("loc") or ())),
            "message": validation_messages.sentence_for(error),
        }
        for error in errors
    ]


async def _handle_infrasync_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InfrasyncError)
    if isinstance(error, Unprocessable):
        # Every 422 has the same shape, a failed check of ours or pydantic's: `errors`
        # lists the problems, here the one the sentence names (`message` without the
        # field's name, to show beside that field).
        field, message = validation_messages.own_problem(error.message)
        problem = {
            "loc": field.split(".") if field else [],
            "type": "invalid",
            "msg": error.message,
            "field": field,
            "message": message,
        }
        return JSONResponse(
            {"detail": error.message, "errors": [problem]}, 422, headers=error.headers
        )
    if isinstance(error, PlanLimitExceeded):
        return JSONResponse(
            {"detail": error.message, **error.fields}, error.status_code, headers=error.headers
        )
    return error_response(error.status_code, error.message, error.headers)


# FastAPI's own words for a body it cannot decode, and what we say instead.
_UNPARSABLE_BODY = "There was an error parsing the body"


async def _handle_http_exception(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail
    if error.status_code == 400 and detail == _UNPARSABLE_BODY:
        detail = "The request body could not be read: send JSON encoded as UTF-8."
    return error_response(error.status_code, detail, getattr(error, "headers", None))


async def _handle_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = validation_problems([dict(item) for item in error.errors()])
    detail = validation_messages.describe([problem["message"] for problem in problems])
    return JSONResponse({"detail": detail, "errors": jsonable_encoder(problems)}, status_code=422)


# SQLSTATEs of writes that lost a race: a unique violation, a serialization failure, a
# deadlock. Postgres names them so; SQLite says "database is locked" when two writers
# collide beyond its busy timeout.
_COLLISION_SQLSTATES = frozenset({"23505", "40001", "40P01"})
COLLISION_MESSAGE = (
    "Another change to the same thing happened at the same moment; reload and try again."
)


def is_write_collision(error: BaseException) -> bool:
    """Whether a database error means two concurrent writes collided (a 409, not a bug)."""
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _COLLISION_SQLSTATES:
        return True
    if isinstance(error, IntegrityError) and "UNIQUE constraint failed" in str(error.orig):
        return True
    return "database is locked" in str(error.orig)


async def _handle_database_error(_request: Request, error: Exception) -> JSONResponse:
    if is_write_collision(error):
        return error_response(409, COLLISION_MESSAGE)
    raise error  # a bug: the request middleware logs it and answers 500


def internal_error_response() -> JSONResponse:
    """The answer to a bug: says nothing about it beyond the request id in the header."""
    return error_response(
        500, "Something went wrong on our side. It has been logged; please try again."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InfrasyncError, _handle_infrasync_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(DBAPIError, _handle_database_error)
    # Unexpected exceptions are caught by observability.requests.RequestContextMiddleware,
    # which can still attach the request id to the 500 it sends.
