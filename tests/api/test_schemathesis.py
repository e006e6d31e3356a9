"""schemathesis against /api/v1/openapi.json, on the live WSGI app with a valid token:
no server error, and every response conforms to the document."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from app.auth.tokens import issue_token
from app.extensions import get_db
from app.models import User

# The fuzz run needs one backend; the API tests cover PostgreSQL.
pytestmark = pytest.mark.sqlite_only

# A schema-valid body can still break a rule of the domain (a supply item that does not
# exist, a lot of another station, a team that does not exist): the API then answers 422
# naming the field, which is acceptance of the request, not a rejection of its form.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]}}})


@pytest.fixture
def api_app(seeded: Flask, backend: str) -> Flask:
    # A running system: the scheduler has computed the coverage week (before its first
    # run /api/v1/coverage/week is a documented 503, which schemathesis counts as an error).
    result = seeded.test_cli_runner().invoke(args=["jobs", "run-once", "coverage"])
    assert result.exit_code == 0, result.output
    return seeded


@pytest.fixture
def token(api_app: Flask) -> str:
    with get_db(api_app).session() as session:
        user = session.query(User).filter_by(username="coordinator").one()
        return issue_token(session, user)


@pytest.mark.slow
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_api_conforms_to_openapi(api_app: Flask, token: str, signed_in: bool) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app, config=CONFIG)
    # The WSGI transport does not undo Content-Encoding, so ask for plain bodies.
    headers = {"Accept-Encoding": "identity"}
    if signed_in:
        headers["Authorization"] = f"Bearer {token}"
    checked: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers)

        run()
        checked.append(operation.label)
    assert len(checked) >= 14, checked
