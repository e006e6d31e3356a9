"""The guard every paho callback wears, the agent's and the server's alike.

paho 2.x runs callbacks on its network thread: an exception escaping one ends that
thread, and the client then neither reads nor acknowledges anything more, silently.
So each callback is wrapped by `guarded`, which logs and carries on. It lives with the
contract because both sides of it run paho clients (app/ imports only this package).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def guarded(log: logging.Logger, consequence: str = "ignored") -> Callable[[F], F]:
    """Log an exception raised in the callback (saying what it means) instead of
    letting it end paho's network thread."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                log.exception("error in MQTT callback %s (%s)", func.__name__, consequence)
                return None

        return wrapper  # type: ignore[return-value]

    return decorate
