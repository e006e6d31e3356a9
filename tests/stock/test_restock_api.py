"""Restocking through the API runs the same operation as the form: the task completes,
the lots taken out are gone, the station's stock alerts resolve at once; bad fields get
a 422 naming them and nothing is saved."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.models import Alert, AuditLog, RestockTask, StockLot, User
from tests.stock.factories import Restockable, days, make_team, make_user


def _auth(db: Session, user: User) -> dict[str, str]:
    token = issue_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def _active(db: Session, station: Restockable) -> list[str]:
    db.expire_all()
    return sorted(db.scalars(select(Alert.kind).where(
        Alert.site_id == station.site.id, Alert.kind.like("stock_%"),
        Alert.status != "resolved")))


def test_restock_through_the_api(client: FlaskClient, db: Session, volunteer: User,
                                 restockable: Restockable) -> None:
    assert _active(db, restockable) == ["stock_expired", "stock_expiring", "stock_low"]
    taken_out = [restockable.expired_lot.id, restockable.expiring_lot.id]
    resp = client.post(f"/api/v1/sites/{restockable.site.id}/restock", headers=_auth(
        db, volunteer), json={
        "deliveries": [{"item": "gauze", "quantity": 16, "expiry": days(1000).isoformat(),
                        "lot_code": "G-2029"}],
        "remove_lot_ids": taken_out})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["removed_lot_ids"] == sorted(taken_out)
    assert body["task"]["status"] == "done" and body["alerts_resolved"] == 3
    assert [lot["item"]["code"] for lot in body["lots"]] == ["gauze"]
    assert _active(db, restockable) == []
    task = db.get(RestockTask, body["task"]["id"])
    assert task is not None and task.status == "done"
    assert db.scalars(select(StockLot).where(StockLot.id.in_(taken_out))).all() == []
    actions = db.scalars(select(AuditLog.action).where(AuditLog.action == "restock")).all()
    assert actions == ["restock"]
    # The site's stock as any client reads it.
    lots = client.get(f"/api/v1/stock?site_id={restockable.site.id}&item=gauze",
                      headers=_auth(db, volunteer)).get_json()["items"]
    assert sum(lot["quantity"] for lot in lots) == 20


def test_one_delivery_through_the_old_endpoint_is_a_restock_too(
    client: FlaskClient, db: Session, volunteer: User, restockable: Restockable,
) -> None:
    resp = client.post("/api/v1/stock", headers=_auth(db, volunteer), json={
        "site_id": restockable.site.id, "item": "gauze", "quantity": 16,
        "expiry": days(1000).isoformat()})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["quantity"] == 16
    # The shortage is gone, so the task is done and stock_low resolved; the expired lot
    # is still in the kit.
    assert _active(db, restockable) == ["stock_expired", "stock_expiring"]
    task = db.scalars(select(RestockTask).where(
        RestockTask.site_id == restockable.site.id)).one()
    assert task.status == "done"


def test_bad_fields_are_named_and_nothing_is_saved(client: FlaskClient, db: Session,
                                                   volunteer: User,
                                                   restockable: Restockable) -> None:
    lots_before = db.scalar(select(func.count()).select_from(StockLot))
    resp = client.post(f"/api/v1/sites/{restockable.site.id}/restock", headers=_auth(
        db, volunteer), json={
        "deliveries": [{"item": "gauze", "quantity": 5, "expiry": days(-1).isoformat()},
                       {"item": "no-such-item", "quantity": 2}],
        "remove_lot_ids": [999999]})
    assert resp.status_code == 422
    problem = resp.get_json()
    names = {p["name"] for p in problem["invalid-params"]}
    assert {"deliveries.0.expiry", "deliveries.1.item", "remove_lot_ids.0"} <= names
    assert db.scalar(select(func.count()).select_from(StockLot)) == lots_before
    assert _active(db, restockable) == ["stock_expired", "stock_expiring", "stock_low"]


def test_another_teams_volunteer_is_refused(client: FlaskClient, db: Session,
                                            restockable: Restockable) -> None:
    stranger = make_user(db, "vol-other", "volunteer", make_team(db, "other"))
    db.commit()
    resp = client.post(f"/api/v1/sites/{restockable.site.id}/restock",
                       headers=_auth(db, stranger),
                       json={"deliveries": [{"item": "gauze", "quantity": 1}]})
    assert resp.status_code == 403
