"""RFC 9457 problem details for every error under /api/."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from app.api.schemas.problem import InvalidParam, Problem

log = logging.getLogger(__name__)
PROBLEM_TYPE_BASE = "https://aed.invalid/problems/"
MEDIA_TYPE = "application/problem+json"


class ApiProblem(HTTPException):
    """An error with a machine-readable type and, for bad input, what was wrong where."""

    def __init__(self, status: int, title: str, detail: str | None = None,
                 problem_type: str | None = None,
                 invalid_params: list[InvalidParam] | None = None) -> None:
        super().__init__(description=detail)
        self.code = status
        self.title = title
        self.problem_type = problem_type
        self.invalid_params = invalid_params


def bad_request(detail: str, invalid_params: list[InvalidParam] | None = None) -> ApiProblem:
    return ApiProblem(400, "Bad Request", detail, "invalid-parameter", invalid_params)


def unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(401, "Unauthorized", detail, "unauthorized")


def forbidden(detail: str = "Not allowed for this account.") -> ApiProblem:
    return ApiProblem(403, "Forbidden", detail, "forbidden")


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "Not Found", f"No such {what}.", "not-found")


def unprocessable(invalid_params: list[InvalidParam],
                  detail: str = "Some fields are not valid; nothing was changed.") -> ApiProblem:
    """Well-formed input that breaks a rule of the domain, field by field (422)."""
    return ApiProblem(422, "Unprocessable Content", detail, "invalid-field", invalid_params)


def conflict(detail: str, problem_type: str) -> ApiProblem:
    return ApiProblem(409, "Conflict", detail, problem_type)


def problem_response(status: int, title: str, detail: str | None = None,
                     problem_type: str | None = None,
                     invalid_params: list[InvalidParam] | None = None) -> Response:
    body: Problem = {
        "type": PROBLEM_TYPE_BASE + problem_type if problem_type else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if invalid_params:
        body["invalid-params"] = invalid_params
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
                                exc.invalid_params)
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
