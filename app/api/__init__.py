"""REST API, version 1, under /api/v1. Errors are RFC 9457 problem details."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    from app.api.problems import init_problems
    from app.auth import csrf

    init_problems(state.app)  # type: ignore[arg-type]  # Sans-IO App is our Flask app
    # Token-authenticated: no cookie-borne CSRF risk (writes refuse cookie auth).
    csrf.exempt(bp)


from app.api import (  # noqa: E402,F401  (routes register on import)
    alerts,
    assets,
    dead_letters,
    gateways,
    inspections,
    map_features,
    nearest,
    openapi,
    sites,
    stock,
)
