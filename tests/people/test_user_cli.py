"""`flask user ...` runs the same operations as the web: the same checks, the session
epoch, the must-change flag when asked for, and an audit row by "cli"."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from tests.people.conftest import FIRST_PASSWORD, account, assert_no_secret, audit_rows
from tests.support.web_login import login


def test_user_add_and_passwd_through_the_operations(seeded: Flask, db: Session) -> None:
    runner = seeded.test_cli_runner()
    typed = f"{FIRST_PASSWORD}\n{FIRST_PASSWORD}\n"
    bad = runner.invoke(args=["user", "add", "a b", "--role", "viewer"], input=typed)
    assert bad.exit_code != 0 and "USERNAME" in bad.output
    short = runner.invoke(args=["user", "add", "sun.li", "--role", "viewer"],
                          input="short\nshort\n")
    assert short.exit_code != 0 and "10" in short.output
    made = runner.invoke(args=["user", "add", "sun.li", "--role", "viewer", "--temporary"],
                         input=typed)
    assert made.exit_code == 0, made.output
    assert account(db, "sun.li").must_change_password
    client = seeded.test_client()
    login(client, "sun.li", FIRST_PASSWORD)
    assert client.get("/").location.startswith("/account/password")

    epoch = account(db, "sun.li").session_epoch
    changed = runner.invoke(args=["user", "passwd", "sun.li"], input=typed)
    assert changed.exit_code == 0, changed.output
    after = account(db, "sun.li")
    assert after.session_epoch == epoch + 1 and not after.must_change_password
    assert client.get("/").status_code == 302 and "/login" in client.get("/").location
    listed = runner.invoke(args=["user", "list"])
    assert "sun.li\tviewer\t-\tactive" in listed.output
    rows = audit_rows(db, after.id)
    assert {r.actor for r in rows} >= {"cli"}
    assert {"create", "password_reset"} <= {r.action for r in rows}
    assert_no_secret(rows, FIRST_PASSWORD)
