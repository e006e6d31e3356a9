"""GET /api/v1/openapi.json and the local docs page, both from the generated document."""

from __future__ import annotations

import functools
from typing import Any

from flask import jsonify, render_template
from flask.typing import ResponseReturnValue

from app.api.blueprint import api, bp
from app.api.document import build_document


@functools.cache
def _document(operations: int) -> dict[str, Any]:
    # Keyed by the count: routes are all registered before the first request.
    return build_document(api)


def document() -> dict[str, Any]:
    return _document(len(api.operations))


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(document())


@bp.get("/docs")
def api_docs() -> ResponseReturnValue:
    doc = document()
    operations = [(method.upper(), path, op)
                  for path, item in doc["paths"].items() for method, op in item.items()]
    return render_template("api_docs.html", operations=operations, document=doc)
