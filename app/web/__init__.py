"""Server-rendered pages and health checks: importing this package registers every page
on the blueprint."""

from app.web import (  # noqa: F401  (routes register on import)
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
from app.web.blueprint import bp

__all__ = ["bp"]
