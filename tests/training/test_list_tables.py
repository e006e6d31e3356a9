"""The training lists' tables: the row that says a list is empty spans the columns this
reader sees (a volunteer sees no phone or certificate number columns)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.training.conftest import World


def _empty_row(page: str, table: str) -> tuple[int, int]:
    """The headings of ``table`` and the columns its empty row spans."""
    body = page[page.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    span = re.search(r'<td colspan="(\d+)">', body)
    assert span is not None, body
    return body.count('<th scope="col">'), int(span.group(1))


@pytest.mark.parametrize("who", ["coordinator_client", "volunteer_client"])
def test_an_empty_responder_list_spans_the_columns_shown(
        who: str, world: World, request: pytest.FixtureRequest) -> None:
    client: FlaskClient = request.getfixturevalue(who)
    page = client.get("/responders").get_data(as_text=True)
    headings, span = _empty_row(page, "responders")
    assert span == headings == (5 if who == "coordinator_client" else 3)


def test_an_empty_course_list_spans_its_columns(coordinator_client: FlaskClient) -> None:
    page = coordinator_client.get("/trainings").get_data(as_text=True)
    assert _empty_row(page, "courses") == (4, 4)
