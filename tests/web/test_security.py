"""Accounts and security: CSRF, per-team authorisation, XSS, shared rate limit, logout."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from app import create_app
from app.models import Alert, Asset, AuditLog, Site, Team, User
from tests.support.web_login import csrf_token, login, post_form


def team_assets(db: Session, code: str, own: bool) -> Asset:
    team = db.scalar(select(Team).where(Team.code == code))
    assert team is not None
    query = select(Asset).join(Site, Asset.site_id == Site.id).where(
        (Site.team_id == team.id) if own else (Site.team_id != team.id)
    ).order_by(Asset.id)
    asset = db.scalars(query).first()
    assert asset is not None
    return asset


def test_form_without_csrf_token_is_refused(seeded: Flask, client: FlaskClient,
                                            db: Session) -> None:
    assert client.post("/login", data={"username": "volunteer",
                                       "password": "demo-pass-2026"}).status_code == 400
    login(client, "volunteer")
    asset = team_assets(db, "shanxin", own=True)
    resp = client.post(f"/assets/{asset.id}/maintenance", data={"minutes": "30"})
    assert resp.status_code == 400
    db.expire_all()
    assert db.get(Asset, asset.id).maintenance_until is None  # type: ignore[union-attr]
    ok = post_form(client, f"/assets/{asset.id}/maintenance", {"minutes": "30"})
    assert ok.status_code == 302
    db.expire_all()
    assert db.get(Asset, asset.id).maintenance_until is not None  # type: ignore[union-attr]


def test_volunteer_cannot_change_another_teams_asset(seeded: Flask, client: FlaskClient,
                                                     db: Session) -> None:
    login(client, "volunteer")
    foreign = team_assets(db, "shanxin", own=False)
    before = foreign.pad_expiry
    assert client.get(f"/assets/{foreign.id}/replace").status_code == 403
    resp = post_form(client, f"/assets/{foreign.id}/replace", {"pad_expiry": "2031-01-01"})
    assert resp.status_code == 403
    resp = post_form(client, f"/assets/{foreign.id}/inspect", {"pads_ok": "ok"})
    assert resp.status_code == 403
    db.expire_all()
    assert db.get(Asset, foreign.id).pad_expiry == before  # type: ignore[union-attr]
    # Reading is allowed; the page offers no actions.
    page = client.get(f"/assets/{foreign.id}").get_data(as_text=True)
    assert f"/assets/{foreign.id}/replace" not in page


def test_viewer_reads_but_cannot_change(seeded: Flask, client: FlaskClient, db: Session) -> None:
    login(client, "viewer")
    asset = team_assets(db, "shanxin", own=True)
    assert client.get(f"/assets/{asset.id}").status_code == 200
    resp = post_form(client, f"/assets/{asset.id}/maintenance", {"minutes": "30"})
    assert resp.status_code == 403


def test_coordinator_acts_everywhere(seeded: Flask, client: FlaskClient, db: Session) -> None:
    login(client, "coordinator")
    asset = team_assets(db, "shanxin", own=True)
    resp = post_form(client, f"/assets/{asset.id}/maintenance", {"minutes": "15"})
    assert resp.status_code == 302


def test_xss_probes_in_names_render_inert(seeded: Flask, client: FlaskClient,
                                          db: Session) -> None:
    probe = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    asset = team_assets(db, "shanxin", own=True)
    asset.name = probe
    asset.site.name = probe
    asset.status = "not_ready"
    alert = Alert(kind="self_test_failed", severity="critical", subject_type="asset",
                  subject_id=str(asset.id), dedupe_key=f"asset:{asset.id}:self_test_failed",
                  asset_id=asset.id, site_id=asset.site_id, status="open", message=probe)
    db.add(alert)
    db.commit()
    login(client, "volunteer")
    post_form(client, f"/alerts/{alert.id}/comment", {"body": probe})
    for path in ("/", f"/assets/{asset.id}", f"/sites/{asset.site_id}", f"/alerts/{alert.id}",
                 "/alerts", "/assets"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


def test_login_rate_limit_holds_across_two_workers(seeded: Flask,
                                                   app_config: dict[str, object]) -> None:
    # Two separate app instances (as two gunicorn workers) on the same database.
    worker_a = create_app({**app_config, "LOGIN_MAX_FAILURES": 5})
    worker_b = create_app({**app_config, "LOGIN_MAX_FAILURES": 5})
    clients = [worker_a.test_client(), worker_b.test_client()]
    for attempt in range(5):
        c = clients[attempt % 2]
        resp = c.post("/login", data={"username": "volunteer", "password": "wrong-guess",
                                      "csrf_token": csrf_token(c)})
        assert resp.status_code == 401
    for c in clients:
        resp = c.post("/login", data={"username": "volunteer", "password": "demo-pass-2026",
                                      "csrf_token": csrf_token(c)})
        assert resp.status_code == 429, "the right password must wait out the lock too"
    # Another account is not locked by these failures.
    c = clients[1]
    resp = c.post("/login", data={"username": "coordinator", "password": "demo-pass-2026",
                                  "csrf_token": csrf_token(c)})
    assert resp.status_code == 302
    for w in (worker_a, worker_b):
        w.extensions["aed.db"].dispose()


def test_cookie_stops_working_after_logout(seeded: Flask, client: FlaskClient) -> None:
    login(client, "volunteer")
    assert client.get("/").status_code == 200
    cookie = client.get_cookie("aed_session")
    assert cookie is not None
    stolen = cookie.value
    resp = post_form(client, "/logout", {})
    assert resp.status_code == 302
    replay = seeded.test_client()
    replay.set_cookie("aed_session", stolen)
    resp = replay.get("/")
    assert resp.status_code == 302 and "/login" in resp.location


def test_session_cookie_is_hardened(seeded: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)
    resp = client.post("/login", data={"username": "volunteer", "password": "demo-pass-2026",
                                       "csrf_token": token})
    header = "; ".join(resp.headers.getlist("Set-Cookie"))
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_open_redirect_after_login_is_refused(seeded: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)
    resp = client.post("/login", data={"username": "volunteer", "password": "demo-pass-2026",
                                       "csrf_token": token, "next": "//evil.example/"})
    assert resp.location == "/"


def test_user_add_creates_a_real_scrypt_account(seeded: Flask, db: Session,
                                                client: FlaskClient) -> None:
    runner = seeded.test_cli_runner()
    result = runner.invoke(args=["user", "add", "zhang", "--role", "volunteer", "--team",
                                 "shanxin", "--name", "张三"],
                           input="a-long-secret-1\na-long-secret-1\n")
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "zhang"))
    assert user is not None and user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "a-long-secret-1")
    login(client, "zhang", "a-long-secret-1")
    assert client.get("/").status_code == 200
    bad = runner.invoke(args=["user", "add", "li", "--role", "volunteer"],
                        input="a-long-secret-1\na-long-secret-1\n")
    assert bad.exit_code != 0 and "--team" in bad.output


def test_every_change_is_audited_with_before_and_after(seeded: Flask, client: FlaskClient,
                                                       db: Session) -> None:
    login(client, "volunteer")
    asset = team_assets(db, "shanxin", own=True)
    old = asset.pad_expiry
    post_form(client, f"/assets/{asset.id}/replace", {"pad_expiry": "2031-03-01"})
    entry = db.scalars(select(AuditLog).where(
        AuditLog.entity_type == "asset", AuditLog.entity_id == str(asset.id),
        AuditLog.action == "update")).first()
    assert entry is not None and entry.actor == "volunteer"
    assert entry.after is not None and entry.after["pad_expiry"] == "2031-03-01"
    assert entry.before is not None and entry.before["pad_expiry"] == (
        old.isoformat() if old else None)
