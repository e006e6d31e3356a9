"""What the registry's write operations (sites, assets) answer: the operation committed,
or its problems as 422 naming each field (409 for a retired row), nothing changed; a
created row as 201 with its representation and Location.

A changed gateway config is left to the config_push job: an API caller is not told
whether the gateway was reached (the web editor pushes at once and says so)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from app.api.problems import conflict, not_found, unprocessable
from app.api.schemas.problem import InvalidParam
from app.extensions import db_session
from app.registry.operations import AlreadyRetired
from app.registry.rules import RegistryInvalid

T = TypeVar("T")
#: The documented problems of every registry write.
WRITE_ERRORS = {422: "A field is wrong (named in invalid-params); nothing was changed"}


def found(row: T | None, noun: str) -> T:
    """The row to change, or 404 naming what is missing."""
    if row is None:
        raise not_found(noun)
    return row


def invalid(exc: RegistryInvalid) -> Exception:
    return unprocessable([InvalidParam(name=e.field, reason=e.reason) for e in exc.errors])


def committed(run: Callable[[], T], what: str) -> T:
    """Run a registry operation in the request's session and commit what it did."""
    dbs = db_session()
    try:
        done = run()
    except RegistryInvalid as exc:
        dbs.rollback()
        raise invalid(exc) from None
    except AlreadyRetired as exc:
        dbs.rollback()
        raise conflict(f"{exc}; a retired {what} is not changed.", "retired") from None
    dbs.commit()
    return done


def answer(body: BaseModel, location: str | None = None) -> ResponseReturnValue:
    """The row as its GET answers it (the callers here are coordinators and admins, who
    see all of it); with ``location``, as created."""
    response = jsonify(body.model_dump(mode="json"))
    if location is not None:
        response.status_code = 201
        response.headers["Location"] = location
    return response
