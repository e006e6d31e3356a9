"""A success answer from a response model."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel


def json_reply(body: BaseModel, status: int = 200, exclude: Any = None) -> ResponseReturnValue:
    """``exclude`` (pydantic's form) drops what this caller may not see."""
    return jsonify(body.model_dump(mode="json", exclude=exclude)), status
