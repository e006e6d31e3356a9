"""Rows touched by a bulk UPDATE/INSERT/DELETE (typed access to CursorResult.rowcount)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def affected(result: Result[Any]) -> int:
    """Rows touched; 0 when the driver cannot tell (-1)."""
    return max(0, cast(CursorResult[Any], result).rowcount)
