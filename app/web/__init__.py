"""Server-rendered pages and health checks: importing this package registers every page
on the blueprint."""

from app.web import (  # noqa: F401  (routes register on import)
    alert_pages,
    asset_pages,
    coverage_views,
    gateway_admin,
    gateway_pages,
    health,
    import_pages,
    map_pages,
    metrics,
    pages,
    people_pages,
    photos,
    registry_pages,
    report_pages,
    site_pages,
    training_pages,
)
from app.web.blueprint import bp

__all__ = ["bp"]
