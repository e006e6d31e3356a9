"""Bad input to problem details: pydantic's errors as one sentence a person can act on,
and every error, named, under ``invalid-params`` (RFC 9457) for programs."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.api.problems import ApiProblem, bad_request
from app.api.schemas.problem import InvalidParam

_FIXED = {
    "missing": "is required",
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date (YYYY-MM-DD)",
    "date_type": "must be a date (YYYY-MM-DD)",
}
_WITH_CONTEXT = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "string_too_short": "must be at least {min_length} characters long",
    "string_too_long": "must be at most {max_length} characters long",
    "literal_error": "must be one of: {expected}",
    "string_pattern_mismatch": "must match {pattern}",
}


def reason(error: ErrorDetails) -> str:
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "value_error" and "error" in context:
        return str(context["error"])  # our own validators word their messages
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in _WITH_CONTEXT:
        return _WITH_CONTEXT[kind].format(**context)
    return error["msg"]


def invalid_input(exc: ValidationError) -> ApiProblem:
    params = [InvalidParam(name=".".join(str(p) for p in e["loc"]), reason=reason(e))
              for e in exc.errors(include_url=False)]
    first = params[0]
    sentence = f"'{first['name']}' {first['reason']}." if first["name"] else first["reason"]
    return bad_request(sentence, params)
