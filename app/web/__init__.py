"""Server-rendered pages and health checks."""

from typing import Any

from flask import Blueprint

bp = Blueprint("web", __name__)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    from app.web.labels import template_labels

    return template_labels()


from app.web import (  # noqa: E402,F401  (routes register on import)
    alert_pages,
    asset_pages,
    gateway_admin,
    gateway_pages,
    health,
    import_pages,
    map_pages,
    metrics,
    pages,
    photos,
    site_pages,
)
