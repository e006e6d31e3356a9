"""schemathesis on the registry's endpoints alone, harder than the whole API's run
(tests/api/test_schemathesis.py): with a coordinator's token on the seeded demo, every
write answers within the document and never with a server error; a 422 names a field."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from app.auth.tokens import issue_token
from app.extensions import get_db
from app.models import User

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

# A schema-valid body still meets the domain's rules (a site that does not exist, a
# device of nobody, an asset retired by an earlier example): 404, 409 or 422 then.
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409",
                                                        "422"]},
    "not_a_server_error": {"enabled": True}}})
#: By their labels (paths below /api/v1).
REGISTRY = {
    "POST /sites", "PATCH /sites/{site_id}", "POST /assets", "PATCH /assets/{asset_id}",
    "POST /assets/{asset_id}/retire", "GET /hours/check",
}


@pytest.fixture
def seeded(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


def _coordinator_token(app: Flask) -> str:
    with get_db(app).session() as session:
        user = session.query(User).filter_by(username="coordinator").one()
        return issue_token(session, user)


@pytest.mark.parametrize("signed_in", [True, False], ids=["coordinator", "anonymous"])
def test_the_registry_endpoints_conform_to_the_document(seeded: Flask, signed_in: bool
                                                        ) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded, config=CONFIG)
    headers = {"Accept-Encoding": "identity"}
    if signed_in:
        headers["Authorization"] = f"Bearer {_coordinator_token(seeded)}"
    checked: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label not in REGISTRY:
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=headers)
            if response.status_code == 422:
                assert response.json()["invalid-params"], response.text

        run()
        checked.add(operation.label)
    assert checked == REGISTRY
