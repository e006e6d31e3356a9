"""Server-rendered pages and health checks."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import health, pages  # noqa: E402,F401  (routes register on import)
