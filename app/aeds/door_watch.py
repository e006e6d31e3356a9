"""Door open too long: a cabinet door left open (not a use incident by itself) is an alert
once it has been open past the limit; muted while the AED is in maintenance."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.alerts.device_rules import in_maintenance
from app.alerts.lifecycle import ACTIVE, AlertSpec, Subject, sync_alerts
from app.alerts.policy import AlertPolicy
from app.models import Alert, Asset, DeviceState

KINDS = frozenset({"door_open_too_long"})


def run_door_watch(session: Session, now: datetime, policy: AlertPolicy) -> dict[str, int]:
    limit = timedelta(minutes=policy.door_open_limit_min)
    has_alert = select(Alert.asset_id).where(Alert.kind == "door_open_too_long",
                                             Alert.status.in_(ACTIVE))
    rows = session.execute(
        select(Asset, DeviceState)
        .outerjoin(DeviceState, DeviceState.device_pk == Asset.device_pk)
        .where(or_(DeviceState.door == "open", Asset.id.in_(has_alert)))
    ).all()
    opened = resolved = 0
    for asset, state in rows:
        specs = []
        if (state is not None and state.door == "open" and state.door_opened_at is not None
                and now - state.door_opened_at >= limit and not in_maintenance(asset, now)):
            minutes = int((now - state.door_opened_at).total_seconds() // 60)
            specs.append(AlertSpec(
                "door_open_too_long",
                f"{asset.name}: 机柜门已打开 {minutes} 分钟 · cabinet door open for {minutes} min",
                detail={"door_opened_at": state.door_opened_at.isoformat()},
            ))
        o, r = sync_alerts(session, Subject.of_asset(asset), specs, KINDS, now)
        opened += len(o)
        resolved += len(r)
    return {"opened": opened, "resolved": resolved}
