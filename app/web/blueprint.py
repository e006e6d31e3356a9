"""The web blueprint itself, apart from the page modules that add routes to it (so they
import this module, never their package)."""

from typing import Any

from flask import Blueprint

from app.web.labels import template_labels

bp = Blueprint("web", __name__)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return template_labels()
