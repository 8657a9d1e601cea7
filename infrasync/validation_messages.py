"""Sentences for a 422: each problem pydantic (or one of our own checks) finds in a request,
said as a person would say it ("The name can be at most 100 characters."), with the field
it belongs to, so the web app can put it next to that field.

Pydantic's own words ("body.email: value is not a valid email address: An email address
must have an @-sign.", "path.digest_id: Input should be a valid UUID") name Python's
locations and types; users read these sentences instead. Plain functions on plain data:
no web framework is loaded here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# Where in the request a problem is: FastAPI's first location part.
_WHERE = frozenset({"body", "query", "path", "header", "cookie"})
# Field names whose plain spelling would read oddly in a sentence.
_LABELS = {
    "url": "the URL",
    "email": "the email address",
    "github_owner": "the GitHub owner",
    "stale_days": "the number of days before a pull request is stale",
    "extra_bots": "the extra bots",
    "channel_ids": "the channels",
    "at": "the time of day",
    "cron": "the cron expression",
    "timezone": "the time zone",
    "weekdays": "the weekdays",
}
_SLUG_RULE = (
    "the slug can use only lowercase letters, digits and dashes, must start and end with "
    "a letter or digit, and be at most 48 characters"
)
MAX_LISTED = 5


def field_of(loc: Sequence[int | str]) -> str:
    """The field a problem belongs to, as the client names it: `name`, `schedule.at`,
    `addresses.2`; empty for the request as a whole."""
    parts = list(loc[1:] if loc and loc[0] in _WHERE else loc)
    return ".".join(str(part) for part in parts)


def _label(loc: Sequence[int | str]) -> str:
    where = loc[0] if loc and loc[0] in _WHERE else "body"
    names = [part for part in loc if isinstance(part, str) and part not in _WHERE]
    if not names:
        return "the request body"
    name = names[-1]
    label = _LABELS.get(name, "the " + name.replace("_", " "))
    if label.endswith(" id"):
        label = label[: -len(" id")] + " ID"
    index = loc[-1]
    if isinstance(index, int):
        label = f"item {index + 1} of {label}"
    if where == "path":
        return f"{label} in the address"
    if where == "query":
        return f"{label} in the address's query"
    return label


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _expected(ctx: Mapping[str, Any]) -> str:
    return str(ctx.get("expected", "one of the listed values"))


def _value_error(label: str, msg: str, _ctx: Mapping[str, Any]) -> str:
    reason = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    reason = reason.removeprefix("value is not a valid email address: ")
    if msg.startswith("value is not a valid email address"):
        return f"{label} is not valid: {reason[:1].lower()}{reason[1:]}"
    return f"{label}: {reason[:1].lower()}{reason[1:]}"


def _pattern(label: str, _msg: str, _ctx: Mapping[str, Any]) -> str:
    if label == "the slug":
        return f"{label} does not fit: {_SLUG_RULE}."
    return f"{label} is not in the expected form."


def _too_short(label: str, _msg: str, ctx: Mapping[str, Any]) -> str:
    least = ctx.get("min_length", 1)
    if least == 1:
        return f"{label} cannot be empty."
    return f"{label} needs at least {least} characters."


_Phrase = Callable[[str, str, Mapping[str, Any]], str]
_PHRASES: dict[str, _Phrase] = {
    "missing": lambda label, _m, _c: f"{label} is required.",
    "string_too_short": _too_short,
    "string_too_long": lambda label, _m, c: (
        f"{label} can be at most {c.get('max_length')} characters; shorten it."
    ),
    "too_short": lambda label, _m, c: f"{label} needs at least {c.get('min_length')} items.",
    "too_long": lambda label, _m, c: f"{label} can have at most {c.get('max_length')} items.",
    "string_type": lambda label, _m, _c: f"{label} must be text.",
    "string_pattern_mismatch": _pattern,
    "int_type": lambda label, _m, _c: f"{label} must be a whole number.",
    "int_parsing": lambda label, _m, _c: f"{label} must be a whole number.",
    "int_from_float": lambda label, _m, _c: f"{label} must be a whole number.",
    "bool_type": lambda label, _m, _c: f"{label} must be true or false.",
    "bool_parsing": lambda label, _m, _c: f"{label} must be true or false.",
    "list_type": lambda label, _m, _c: f"{label} must be a list.",
    "dict_type": lambda label, _m, _c: f"{label} must be a JSON object.",
    "model_type": lambda label, _m, _c: f"{label} must be a JSON object.",
    "model_attributes_type": lambda label, _m, _c: f"{label} must be a JSON object.",
    "uuid_parsing": lambda label, _m, _c: f"{label} is not a valid ID; check the link.",
    "uuid_type": lambda label, _m, _c: f"{label} is not a valid ID; check the link.",
    "literal_error": lambda label, _m, c: f"{label} must be {_expected(c)}.",
    "enum": lambda label, _m, c: f"{label} must be {_expected(c)}.",
    "greater_than_equal": lambda label, _m, c: f"{label} must be at least {c.get('ge')}.",
    "greater_than": lambda label, _m, c: f"{label} must be more than {c.get('gt')}.",
    "less_than_equal": lambda label, _m, c: f"{label} must be at most {c.get('le')}.",
    "less_than": lambda label, _m, c: f"{label} must be less than {c.get('lt')}.",
    "datetime_parsing": lambda label, _m, _c: (
        f"{label} must be a date and time such as 2026-01-31T09:00:00Z."
    ),
    "datetime_from_date_parsing": lambda label, _m, _c: (
        f"{label} must be a date and time such as 2026-01-31T09:00:00Z."
    ),
    "date_parsing": lambda label, _m, _c: f"{label} must be a date such as 2026-01-31.",
    "json_invalid": lambda _l, _m, _c: "The request body is not valid JSON.",
    "value_error": _value_error,
    "assertion_error": _value_error,
}


def sentence_for(error: Mapping[str, Any]) -> str:
    """One problem as a sentence that names the field and says what to fix."""
    loc: Sequence[int | str] = tuple(error.get("loc") or ())
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "")).rstrip(".")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"{field_of(loc) or 'That field'!r} is not a field here; check its spelling."
    if kind == "missing" and field_of(loc) == "":
        return "The request needs a JSON body."
    phrase = _PHRASES.get(kind)
    label = _label(loc)
    text = phrase(label, msg, ctx) if phrase else f"{label}: {msg[:1].lower()}{msg[1:]}."
    text = _cap(text)
    return text if text.endswith((".", "?", "!")) else text + "."


def describe(sentences: Sequence[str]) -> str:
    """The one `detail` sentence of a 422 with several problems."""
    listed = " ".join(sentences[:MAX_LISTED])
    more = len(sentences) - MAX_LISTED
    if more > 0:
        listed += f" ({more} more {'problem' if more == 1 else 'problems'} not listed.)"
    return listed


# Our own checks raise Unprocessable("url: a slack channel needs its webhook URL."): the
# part before the colon is the field when it looks like one.
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): (.+)$", re.DOTALL)


def own_problem(message: str) -> tuple[str, str]:
    """The field and the sentence (to show beside that field) of one of our own 422
    messages: ("url", "A slack channel needs its webhook URL.")."""
    matched = _FIELD_PREFIX.match(message)
    if matched is None:
        return "", message
    field, rest = matched.groups()
    return field, _cap(rest)
