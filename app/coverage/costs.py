"""Alerts about an AED carry the coverage it costs: its criticality (the share of the
area-week that depends on it alone), in percent, as the ``coverage_lost`` detail of its
active alerts (app/alerts/catalogue.COVERAGE_LOST; shown by app/alerts/texts.py). The
rules that raise the alerts leave the key alone (app/alerts/apply.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.alerts.catalogue import ACTIVE_STATES, COVERAGE_LOST
from app.models import Alert
from app.sql_rows import is_postgresql, listed, one_of, rows_as_set

_ALERT: Table = Alert.__table__  # type: ignore[assignment]
#: Subjects per query.
CHUNK = 2000


def _active_of(postgresql: bool) -> Any:
    return select(Alert.id, Alert.asset_id, Alert.detail).where(
        # By subject (ix_alert_subject): an asset's alerts have its id as subject id.
        Alert.subject_type == "asset", one_of(Alert.subject_id, "ids", postgresql),
        Alert.status.in_(ACTIVE_STATES))


#: The active alerts of some AEDs; their ids as literals on PostgreSQL, for the reason
#: app/alerts/apply.py gives at its own ``_ACTIVE_OF`` (alerts the same transaction
#: opened, a plan from the statistics of before).
_ACTIVE_OF = {False: _active_of(False), True: _active_of(True)}


def percent(share: float) -> float:
    """A share (0–1) as the percent an alert shows (two decimals: no churn from noise)."""
    return round(share * 100, 2)


def mark_costs(session: Session, criticality: Mapping[int, float]) -> int:
    """Write each AED's cost into its active alerts where it differs; the alerts changed."""
    ids = sorted(criticality)
    rows: list[dict[str, Any]] = []
    postgresql = is_postgresql(session)
    for start in range(0, len(ids), CHUNK):
        for alert_id, asset_id, detail in session.execute(
                _ACTIVE_OF[postgresql],
                {"ids": listed(postgresql, [str(i) for i in ids[start:start + CHUNK]])}):
            cost = percent(criticality[asset_id])
            current = detail if isinstance(detail, dict) else {}
            if current.get(COVERAGE_LOST) != cost:
                rows.append({"b_id": alert_id, "detail": {**current, COVERAGE_LOST: cost}})
    if rows:
        # One statement, the rows as a set (app/sql_rows.py).
        v = rows_as_set(session, _ALERT, rows, {"b_id": "id", "detail": "detail"}).c
        session.execute(update(_ALERT).where(_ALERT.c.id == v.b_id).values(detail=v.detail),
                        execution_options={"synchronize_session": False})
        for row in rows:  # what the session holds shows the new detail, unflushed
            loaded = session.identity_map.get(session.identity_key(Alert, row["b_id"]))
            if loaded is not None:
                set_committed_value(loaded, "detail", row["detail"])
    return len(rows)
