"""schemathesis on the people operations (accounts, teams, organisations) against the
live WSGI app, as a coordinator and anonymously: no server error, every answer as the
document says. The whole API's run (tests/api/test_schemathesis.py) covers them too;
this one runs on its own when the people code changes."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from tests.api.test_schemathesis import CONFIG
from tests.people.conftest import bearer

pytestmark = pytest.mark.sqlite_only
PEOPLE_PATHS = ("/users", "/teams", "/organisations")


@pytest.mark.slow
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_people_operations_conform_to_openapi(seeded: Flask, db: Session,
                                              signed_in: bool) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded, config=CONFIG)
    headers = {"Accept-Encoding": "identity",
               **(bearer(db, "coordinator") if signed_in else {})}
    checked: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(PEOPLE_PATHS):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers)

        run()
        checked.append(operation.label)
    assert len(checked) == 12, checked
