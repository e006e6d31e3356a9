"""Helpers for tests that use the volunteer web app through Flask's test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

DEMO_PASSWORD = "demo-pass-2026"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> None:
    token = csrf_token(client)
    resp = client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def post_form(client: FlaskClient, path: str, data: dict[str, object],
              form_page: str = "/") -> TestResponse:
    token = csrf_token(client, form_page)
    return client.post(path, data={**data, "csrf_token": token})
