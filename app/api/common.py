"""Shared API plumbing: who is calling, pagination, parameter parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.api.problems import ApiProblem


def bad_request(detail: str, **extra: Any) -> ApiProblem:
    return ApiProblem(400, "Bad Request", detail, "invalid-parameter", **extra)


def require_reader() -> Any:
    if not current_user.is_authenticated:
        raise ApiProblem(401, "Unauthorized", "Send 'Authorization: Bearer <token>'.",
                         "unauthorized")
    return current_user


def require_writer() -> Any:
    """Writes need a token: the API is exempt from CSRF, so a browser cookie may not write."""
    user = require_reader()
    if not getattr(user, "via_token", False):
        raise ApiProblem(401, "Unauthorized", "Changes through the API need a bearer token.",
                         "unauthorized")
    if not user.can_write:
        raise ApiProblem(403, "Forbidden", "This account may only read.", "forbidden")
    return user


def forbidden(detail: str = "Not allowed for this account.") -> ApiProblem:
    return ApiProblem(403, "Forbidden", detail, "forbidden")


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "Not Found", f"No such {what}.", "not-found")


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page_args(default_limit: int = 50, max_limit: int = 500) -> Page:
    limit = int_arg("limit", default_limit, 1, max_limit)
    offset = int_arg("offset", 0, 0, 10_000_000)
    assert limit is not None and offset is not None
    return Page(limit, offset)


def int_arg(name: str, default: int | None = None, lo: int = 0,
            hi: int = 2**31 - 1) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"'{name}' must be an integer.") from None
    if not lo <= value <= hi:
        raise bad_request(f"'{name}' must be between {lo} and {hi}.")
    return value


def str_arg(name: str, max_len: int = 100) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_len:
        raise bad_request(f"'{name}' is too long.")
    return raw


def enum_list_arg(name: str, allowed: tuple[str, ...]) -> list[str] | None:
    raw = str_arg(name, 500)
    if raw is None:
        return None
    values = [v for v in raw.split(",") if v]
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise bad_request(f"'{name}' must be a comma-separated list of: {', '.join(allowed)}.")
    return values


def date_arg(name: str) -> date | None:
    raw = str_arg(name, 40)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"'{name}' must be a date (YYYY-MM-DD).") from None


def bool_arg(name: str) -> bool | None:
    raw = str_arg(name, 10)
    if raw is None:
        return None
    if raw in {"true", "1"}:
        return True
    if raw in {"false", "0"}:
        return False
    raise bad_request(f"'{name}' must be true or false.")


def paginated(session: Session, query: Select[Any] | Any, page: Page,
              serialize: Any) -> ResponseReturnValue:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(page.limit).offset(page.offset)).all()
    items = [serialize(*row) for row in rows]
    return jsonify({"items": items, "total": int(total or 0), "limit": page.limit,
                    "offset": page.offset})


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    return data


MAX_ID = 2**31 - 1


def json_int(value: Any) -> int | None:
    """JSON Schema counts 3.0 as an integer, so accept integral floats too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value if isinstance(value, int) else None


def body_id(body: dict[str, Any], key: str) -> int:
    value = json_int(body.get(key))
    if value is None or not 0 <= value <= MAX_ID:
        raise bad_request(f"'{key}' must be an id (integer 0..{MAX_ID}).")
    return value
