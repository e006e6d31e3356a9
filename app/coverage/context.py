"""What every coverage answer starts from, once per process: the settings, the grid of the
configured area (rebuilt when a file changes) and a model of all AEDs that follows the
stored state.

The model is kept in memory and brought up to date from the database on each use
(:meth:`LiveCoverage.synced`): one query reads every AED's position, hours and
readiness, and only the AEDs that differ from what the model holds are recounted, over
their own cells. So every web worker, the scheduler and ingest answer from the stored
state without sharing memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from app.config import ConfigError
from app.coverage.geojson import CoverageFileError, read_area, read_weights
from app.coverage.grid import Grid, make_grid
from app.coverage.model import CoverageModel
from app.coverage.settings import CoverageSettings, load_coverage_settings
from app.coverage.state import all_states
from app.coverage.week import typical_week_start

log = logging.getLogger("aed.coverage")
T = TypeVar("T")


class CoverageUnavailable(Exception):
    """Coverage is not configured usably; the message says why (for the operator)."""


@dataclass(frozen=True, eq=False)
class CoverageContext:
    settings: CoverageSettings
    grid: Grid
    tz: ZoneInfo

    @property
    def area_name(self) -> str:
        return self.settings.area.name

    def model(self, week_start: datetime, cells: np.ndarray | None = None) -> CoverageModel:
        """An empty model of these settings (of some of the cells only: ``cells``)."""
        return CoverageModel(self.grid, self.settings.reach_m, week_start,
                             self.settings.unknown_hours_open, cells)


class LiveCoverage:
    """A model of every AED, kept in step with the database (one per process)."""

    def __init__(self, ctx: CoverageContext) -> None:
        self.ctx = ctx
        self._model: CoverageModel | None = None
        self._lock = threading.Lock()

    @contextmanager
    def synced(self, session: Session, now: datetime) -> Iterator[CoverageModel]:
        """The model, brought up to date, held for the caller alone."""
        with self._lock:
            week = typical_week_start(now, self.ctx.tz)
            if self._model is None:
                self._model = self.ctx.model(week)
            self._model.set_week(week)
            self._model.sync(all_states(session))
            yield self._model


_lock = threading.Lock()
_contexts: dict[tuple[object, ...], CoverageContext] = {}
_live: dict[int, LiveCoverage] = {}


def _mtime(path: Path | None) -> float | None:
    return path.stat().st_mtime if path is not None and path.exists() else None


def coverage_context(tz: ZoneInfo, settings: CoverageSettings | None = None
                     ) -> CoverageContext:
    """The context of these settings (default: the environment's), built once per
    process and again when the area or weights file changes."""
    try:
        settings = settings or load_coverage_settings()
        key = (settings, str(tz), _mtime(settings.area), _mtime(settings.weights))
        with _lock:
            found = _contexts.get(key)
            if found is None:
                weights = read_weights(settings.weights) if settings.weights else []
                grid = make_grid(read_area(settings.area), settings.cell_m, weights)
                found = _contexts[key] = CoverageContext(settings, grid, tz)
            return found
    except (ConfigError, CoverageFileError) as exc:
        raise CoverageUnavailable(str(exc)) from None


def live_coverage(ctx: CoverageContext) -> LiveCoverage:
    with _lock:
        found = _live.get(id(ctx))
        if found is None or found.ctx is not ctx:
            found = _live[id(ctx)] = LiveCoverage(ctx)
        return found


def with_live_model(session: Session, now: datetime, tz: ZoneInfo,
                    use: Callable[[CoverageContext, CoverageModel], T]) -> T:
    """``use(ctx, model)`` on the process's model of every AED, up to date."""
    ctx = coverage_context(tz)
    with live_coverage(ctx).synced(session, now) as model:
        return use(ctx, model)
