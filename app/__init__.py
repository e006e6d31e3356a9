"""AED and first-aid station tracker: the Flask server (`create_app()` builds it)."""

from app.factory import create_app
from app.version import __version__

__all__ = ["__version__", "create_app"]
