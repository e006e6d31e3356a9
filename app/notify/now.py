"""Notifications at once: a thread that a process wakes right after a commit worth
telling (an urgent alert opened, an alert resolved or handed over), instead of leaving
it to the notify job's next period (15 s).

A pass does what the job does (app/scheduler/jobs.py, "notify"): the outbox rows of
every alert that needs telling (app/notify/outbox.py), then delivery of what is due
(app/notify/dispatch.py). It keeps no bookkeeping of its own: the outbox takes each
round and each resolution with a conditional UPDATE and delivery claims each row, so a
pass and the job at the same moment never send a message twice. The job stays the
safety net: a pass that fails (the database away) is tried again a few times, then left
to it.

    notifier = Notifier(Database(settings.database_url), settings, policy).start()
    ...                      # commit
    notifier.wake()          # returns at once
    ...
    notifier.stop()          # finishes a pass asked for, then joins the thread
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.alerts.policy import AlertPolicy
from app.config import Settings
from app.db import Database
from app.models import utcnow
from app.notify.channels import send
from app.notify.dispatch import Sender, dispatch_pending
from app.notify.outbox import enqueue_alert_notifications
from app.notify.routing import Rated, is_urgent

log = logging.getLogger("aed.notify.now")


def tells_at_once(opened: Iterable[Rated]) -> bool:
    """Whether a commit that opened these alerts (``Applied.opened``, app/alerts/apply.py)
    should wake the notifier: one of them is urgent (app/alerts/catalogue.py URGENT_KINDS,
    or raised as urgent)."""
    return any(is_urgent(alert) for alert in opened)


@dataclass(eq=False)  # a running service: equal to itself only, and hashable
class Notifier:
    """One background thread with its own database sessions (from ``db``, which it may
    share with the rest of the process: engines are thread-safe)."""

    db: Database
    settings: Settings
    policy: AlertPolicy
    sender: Sender = send
    clock: Callable[[], datetime] = utcnow
    retry_s: float = 1.0
    retries: int = 3

    def __post_init__(self) -> None:
        #: Passes finished and passes failed, and the last one's summary (for logs and
        #: tests).
        self.passes = 0
        self.failed = 0
        self.last: dict[str, int] = {}
        self._cond = threading.Condition()
        self._woken = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> Notifier:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
                self._thread.start()
        return self

    def wake(self) -> None:
        """Ask for a pass; returns at once. Wakes during a pass give one more pass after
        it, however many they are."""
        with self._cond:
            self._woken = True
            self._cond.notify()

    def stop(self, timeout: float = 10.0) -> bool:
        """Run a pass still asked for, then end the thread. True when it ended in time."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_once(self) -> dict[str, int]:
        """One pass, in the calling thread."""
        with self.db.session() as session:
            queued = enqueue_alert_notifications(session, self.clock(), self.settings,
                                                 self.policy)
        delivered = dispatch_pending(self.db, self.clock(), self.settings, self.policy,
                                     self.sender)
        return {**queued, **delivered}

    def _next(self, failures: int) -> tuple[bool, bool]:
        """Wait for a wake (or, after a failed pass, for its retry time); returns
        (run a pass, stop after it)."""
        with self._cond:
            if not (self._woken or self._stopping):
                self._cond.wait(self.retry_s * 2 ** (failures - 1) if failures else None)
            run = self._woken or (failures > 0 and not self._stopping)
            self._woken = False
            return run, self._stopping

    def _run(self) -> None:
        failures = 0
        while True:
            run, stopping = self._next(failures)
            if run:
                try:
                    summary: dict[str, Any] = self.run_once()
                except Exception:
                    # The thread must outlive a bad moment (database restarting, a
                    # lock held too long); the notify job covers what is left.
                    self.failed += 1
                    failures = failures + 1 if failures < self.retries else 0
                    log.exception("notification pass failed (%s)",
                                  f"retry {failures} of {self.retries}" if failures
                                  else "left to the notify job")
                else:
                    failures = 0
                    self.last = summary
                    self.passes += 1
                    log.debug("notification pass: %s", summary)
            if stopping:
                return
