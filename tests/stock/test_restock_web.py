"""Restocking through the web form (Flask's client), on SQLite and PostgreSQL: what the
form shows, what saving it does, and how it refuses bad input next to each field."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Alert, AuditLog, RestockTask, Site, StockLot
from tests.stock.factories import (
    PASSWORD,
    Restockable,
    days,
    lot,
    make_item,
    make_station,
    make_team,
    make_user,
)
from tests.support.web_login import login, post_form


def restock_url(station: Restockable | Site) -> str:
    site = station.site if isinstance(station, Restockable) else station
    return f"/sites/{site.id}/restock"


def submit(client: FlaskClient, station: Restockable | Site, rows: list[dict[str, str]],
           removed: Sequence[int] = ()) -> tuple[int, str, str | None]:
    data: dict[str, object] = {"rows": str(len(rows)), "remove": [str(i) for i in removed]}
    for r, row in enumerate(rows):
        data.update({f"{part}-{r}": value for part, value in row.items()})
    resp = post_form(client, restock_url(station), data, restock_url(station))
    return resp.status_code, resp.get_data(as_text=True), resp.location


def active_stock_alerts(db: Session, station: Restockable) -> list[str]:
    db.expire_all()
    return sorted(db.scalars(select(Alert.kind).where(
        Alert.site_id == station.site.id, Alert.kind.like("stock_%"),
        Alert.status != "resolved")))


def field_error(html: str, name: str) -> str | None:
    """The error shown right after the field, tied to it by aria-describedby."""
    match = re.search(rf'<p class="flash flash-error field-error" id="{name}-error">(.*?)</p>',
                      html, re.S)
    if match is None:
        return None
    assert re.search(rf'name="{name}"[^>]*aria-invalid="true" aria-describedby="{name}-error"',
                     html) or re.search(
        rf'id="{name}"[^>]*aria-invalid="true" aria-describedby="{name}-error"', html), name
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("✕", "").strip()


def test_the_form_shows_the_task_the_shortage_and_the_lots_to_take_out(
    signed_in: FlaskClient, restockable: Restockable,
) -> None:
    html = signed_in.get(restock_url(restockable)).get_data(as_text=True)
    assert 'id="restock-task"' in html and "补货任务" in html
    needs = html.split('id="needs"')[1].split("</section>")[0]
    assert 'data-item="gauze"' in needs and "16 片" in needs and "无菌纱布" in needs
    assert 'data-item="iodine"' not in needs  # enough usable iodine despite the expired lot
    for lot_id in (restockable.expired_lot.id, restockable.expiring_lot.id):
        assert f'name="remove" value="{lot_id}" id="remove-{lot_id}"' in html
    assert "已过期" in html
    # A row is ready for the item the station needs, and two spare rows.
    assert re.search(r'<select id="item-0" name="item-0">.*?<option value="gauze" selected>',
                     html, re.S)
    assert 'name="rows" value="3"' in html
    signed_in.get(f"/lang/en?next={restock_url(restockable)}")
    html = signed_in.get(restock_url(restockable)).get_data(as_text=True)
    assert "What this station needs" in html and "Sterile gauze" in html
    assert "expired on" in html and "无菌纱布" not in html


def test_restock_closes_task_removes_lots_resolves_alerts_with_one_audit_row(
    signed_in: FlaskClient, restockable: Restockable, db: Session,
) -> None:
    assert active_stock_alerts(db, restockable) == ["stock_expired", "stock_expiring",
                                                    "stock_low"]
    audits_before = db.scalar(select(func.count()).select_from(AuditLog))
    taken_out = [restockable.expired_lot.id, restockable.expiring_lot.id]
    status, _html, location = submit(
        signed_in, restockable,
        [{"item": "gauze", "quantity": "16", "expiry": days(1000).isoformat(),
          "lot_code": "G-2029"}, {"item": "", "quantity": "", "expiry": "", "lot_code": ""}],
        taken_out)
    assert status == 302 and location == f"/sites/{restockable.site.id}"
    assert active_stock_alerts(db, restockable) == []
    task = db.scalars(select(RestockTask).where(RestockTask.site_id == restockable.site.id)).one()
    assert task.status == "done" and task.completed_by_id is not None
    assert [(ln.needed, ln.delivered) for ln in task.lines] == [(16, 16)]
    assert db.scalars(select(StockLot).where(StockLot.id.in_(taken_out))).all() == []
    audits = db.scalars(select(AuditLog).order_by(AuditLog.id).offset(audits_before)).all()
    assert [(a.action, a.entity_type, a.actor) for a in audits] == [
        ("restock", "site", "vol-stock")]
    assert {r["lot_code"] for r in audits[0].before["lots"]} == {"I-1", "S-1"}
    html = signed_in.get(location).get_data(as_text=True)
    assert "补货已保存" in html and "补货任务已完成" in html
    row = re.search(r'<tr data-item="gauze"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None and '<td class="qty">20 片</td>' in row.group(1)
    iodine = re.search(r'<tr data-item="iodine"[^>]*>(.*?)</tr>', html, re.S)
    assert iodine is not None and '<td class="qty">15 支</td>' in iodine.group(1)


def test_a_restock_nothing_asked_for_is_recorded(client: FlaskClient, db: Session) -> None:
    team = make_team(db, "quiet")
    site = make_station(db, "st-quiet", team)
    user = make_user(db, "vol-quiet", "volunteer", team)
    make_item(db, "blanket", "急救毯", "Emergency blanket", "条", 1825)
    db.commit()
    login(client, user.username, PASSWORD)
    status, _html, _loc = submit(client, site, [
        {"item": "blanket", "quantity": "2", "expiry": days(1500).isoformat(), "lot_code": ""}])
    assert status == 302
    audit = db.scalars(select(AuditLog).where(AuditLog.action == "restock")).one()
    assert audit.after["task_id"] is None and audit.after["lots"][0]["item"] == "blanket"


@pytest.mark.parametrize(("row", "removed", "field", "zh", "en"), [
    ({"item": "gauze", "quantity": "0"}, None, "quantity-0", "请输入大于零的整数", "whole number"),
    ({"item": "gauze", "quantity": "abc"}, None, "quantity-0", "请输入大于零的整数",
     "whole number"),
    ({"item": "bandage", "quantity": "3"}, None, "item-0", "没有这种物资", "no such supply item"),
    ({"item": "", "quantity": "3"}, None, "item-0", "请选择物资", "Choose an item"),
    ({"item": "gauze", "quantity": "3", "expiry": "past"}, None, "expiry-0", "已过期",
     "has expired"),
    ({"item": "gauze", "quantity": "3", "expiry": ""}, None, "expiry-0", "有效期",
     "expiry date"),
    ({"item": "gauze", "quantity": "3", "expiry": "2026-02-31"}, None, "expiry-0",
     "YYYY-MM-DD", "YYYY-MM-DD"),
    ({"item": "gauze", "quantity": "3", "lot_code": "L" * 65}, None,
     "lot_code-0", "最多 64 个字符", "At most 64 characters"),
    ({}, "foreign", "form-errors", "不在本站", "not in this station"),
    ({}, None, "form-errors", "请填写", "tick the lots"),
])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    signed_in: FlaskClient, restockable: Restockable, db: Session, lang: str,
    row: dict[str, str], removed: str | None, field: str, zh: str, en: str,
) -> None:
    signed_in.get(f"/lang/{'en' if lang == 'en' else 'zh_CN'}?next=/")
    other = make_station(db, "st-other", restockable.team)
    foreign = lot(db, other, restockable.items["gauze"], 3, days(-2))
    db.commit()
    lots_before = db.scalar(select(func.count()).select_from(StockLot))
    full = {"item": "", "quantity": "", "expiry": days(600).isoformat(), "lot_code": "", **row}
    if full["expiry"] == "past":
        full["expiry"] = days(-1).isoformat()
    rows = [full] if row else []
    status, html, _loc = submit(signed_in, restockable, rows,
                                [foreign.id] if removed == "foreign" else [])
    assert status == 400
    want = en if lang == "en" else zh
    if field == "form-errors":
        box = html.split('id="form-errors"')[1].split("</div>")[0]
        assert want in box
    else:
        text = field_error(html, field)
        assert text is not None and want in text, (field, text)
        if lang == "zh_CN":
            assert not re.search(r"[A-Za-z]{4,}", text.replace("YYYY-MM-DD", "")), text
    assert 'class="flash flash-error"' in html
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(StockLot)) == lots_before
    assert db.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "restock")) == 0
    # What was typed is still there.
    if row.get("quantity"):
        assert f'value="{row["quantity"]}"' in html


def test_more_rows_keeps_what_was_typed(signed_in: FlaskClient,
                                        restockable: Restockable) -> None:
    resp = post_form(signed_in, restock_url(restockable), {
        "rows": "1", "item-0": "gloves", "quantity-0": "7", "expiry-0": "", "lot_code-0": "Q",
        "remove": [str(restockable.expired_lot.id)], "more": "1"}, restock_url(restockable))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'name="rows" value="2"' in html
    assert 'id="quantity-0" name="quantity-0"' in html and 'value="7"' in html
    assert 'id="item-1" name="item-1"' in html
    assert f'id="remove-{restockable.expired_lot.id}" checked' in html


def test_only_the_station_team_may_restock(client: FlaskClient, restockable: Restockable,
                                           db: Session) -> None:
    stranger = make_user(db, "vol-other", "volunteer", make_team(db, "other"))
    db.commit()
    login(client, stranger.username, PASSWORD)
    assert client.get(restock_url(restockable)).status_code == 403
