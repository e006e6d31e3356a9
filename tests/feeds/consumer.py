"""A platform's side of the feed, as a consumer would write it: follow ``next`` to the
end, check every page against the published schema and its Link header."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.api.schemas.feeds import PublicAeds

FEED = "/api/v1/public/aeds"


def since_query(moment_text: str) -> str:
    return f"updated_since={quote(moment_text, safe='')}"


def next_link(resp: TestResponse) -> str | None:
    for part in resp.headers.get("Link", "").split(","):
        if 'rel="next"' in part:
            return part.split(";")[0].strip().strip("<>")
    return None


def fetch_geojson(client: FlaskClient, url: str, headers: dict[str, str] | None = None
                  ) -> tuple[list[dict[str, Any]], list[TestResponse]]:
    features: list[dict[str, Any]] = []
    pages: list[TestResponse] = []
    following: str | None = url
    while following:
        resp = client.get(following, headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.mimetype == "application/geo+json"
        body = resp.get_json()
        PublicAeds.model_validate(body)
        assert next_link(resp) == body["next"]
        features += body["features"]
        pages.append(resp)
        following = body["next"]
    return features, pages


def fetch_csv(client: FlaskClient, url: str) -> tuple[list[str], list[dict[str, str]]]:
    header: list[str] = []
    rows: list[dict[str, str]] = []
    following: str | None = url
    while following:
        resp = client.get(following)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.mimetype == "text/csv"
        reader = csv.DictReader(io.StringIO(resp.get_data(as_text=True), newline=""))
        header = list(reader.fieldnames or [])
        rows += list(reader)
        following = next_link(resp)
    return header, rows
