"""RFC 9457 problem details for every error under /api/."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
PROBLEM_TYPE_BASE = "https://aed.invalid/problems/"
MEDIA_TYPE = "application/problem+json"


class ApiProblem(HTTPException):
    """An error with a machine-readable type and optional extra members."""

    def __init__(self, status: int, title: str, detail: str | None = None,
                 problem_type: str | None = None, **extra: Any) -> None:
        super().__init__(description=detail)
        self.code = status
        self.title = title
        self.problem_type = problem_type
        self.extra = extra


def problem_response(status: int, title: str, detail: str | None = None,
                     problem_type: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem_type if problem_type else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="aed-api"'
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _handle_http(exc: HTTPException) -> Any:
    if not _is_api():
        return exc
    status = exc.code or 500
    if isinstance(exc, ApiProblem):
        return problem_response(status, exc.title, exc.description, exc.problem_type,
                                **exc.extra)
    response = problem_response(status, exc.name, exc.description)
    if status == 405 and exc.response is None:
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def _handle_unexpected(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return _handle_http(exc)
    if not _is_api():
        # Pages keep Flask's own handling (logging, propagation in tests).
        raise exc
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem_response(500, "Internal Server Error",
                            "The server failed to handle the request.")


def init_problems(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
