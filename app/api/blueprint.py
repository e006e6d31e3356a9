"""The /api/v1 blueprint and its route registry.

A module of its own so that route modules import it and never their package
(``app.api`` imports the route modules to register them).
"""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from app.api.problems import init_problems
from app.api.registry import Registry
from app.auth import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = Registry(bp)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    init_problems(state.app)  # type: ignore[arg-type]  # Sans-IO App is our Flask app
    # Token-authenticated: no cookie-borne CSRF risk (writes refuse cookie auth).
    csrf.exempt(bp)
