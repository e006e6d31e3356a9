"""AED and first-aid station tracker: the Flask server (`create_app()` builds it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.version import __version__

if TYPE_CHECKING:
    from app.factory import create_app

__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> Any:
    # The factory is imported when first asked for, not with the package: the ingest
    # worker's MQTT receiver process (`python -m app.ingest.receiver`) and other
    # subprocesses import a few modules of `app` and need neither Flask nor the models
    # (130 MB and a second of start-up less per receiver).
    if name == "create_app":
        # Function-local on purpose: importing the factory here is the whole point (see above).
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")
