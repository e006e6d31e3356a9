"""REST API, version 1, under /api/v1. Errors are RFC 9457 problem details.

The blueprint lives in app.api.blueprint; importing the route modules here registers
their operations on it (route modules import the blueprint, never this package).
"""

from app.api import (  # noqa: F401  (routes register on import)
    alerts,
    assets,
    courses,
    coverage,
    dead_letters,
    gateways,
    hours,
    inspections,
    map_features,
    nearest,
    openapi,
    people,
    public_feed,
    responders,
    sites,
    stock,
)
from app.api.blueprint import bp

__all__ = ["bp"]
