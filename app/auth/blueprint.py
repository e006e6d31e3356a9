"""The auth blueprint, in a module of its own so that app.auth.views imports it and never
its package (which imports the views to register them)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
