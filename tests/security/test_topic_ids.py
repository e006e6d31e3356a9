"""Gateway and device ids are matched whole: `[A-Za-z0-9_-]{1,64}` and nothing after it.

`re.match` with a `$`-anchored pattern also accepts a final newline ("gw-1\\n"): such an id
passed the topic parser and builders, and `flask gateway add` would create a gateway row
and a broker account named with a newline. Pydantic's `pattern` (Rust regex, where `$` is
the end of the text) already refused it; the guard below keeps it that way.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.gateways import dynsec
from app.gateways.provisioning import AgentEndpoint, add_gateway
from app.models import Gateway, Site
from device_agent.protocol import (
    ProtocolError,
    Reason,
    TopicKind,
    device_topic,
    is_valid_id,
    parse_topic,
    state_topic,
    telemetry_topic,
)

GOOD_IDS = ["gw-1", "g", "gw_yp-001", "A" * 64, "0"]
# A trailing newline is the case `$` let through; the others are refused either way.
BAD_IDS = ["gw-1\n", "gw-1\r\n", "\ngw-1", "gw-1\r", "gw-1\n\n", "a" * 64 + "\n", "gw 1", "",
           "a" * 65, "gw/1", "gw+", "#", "gw-1\t", "网关"]
NEWLINE_IDS = ["gw-1\n", "a" * 64 + "\n"]


@pytest.mark.parametrize("value", GOOD_IDS)
def test_contract_ids_are_valid(value: str) -> None:
    assert is_valid_id(value)


@pytest.mark.parametrize("value", BAD_IDS, ids=repr)
def test_anything_else_is_not_an_id(value: str) -> None:
    assert not is_valid_id(value)


@pytest.mark.parametrize("value", NEWLINE_IDS, ids=repr)
def test_parser_refuses_a_trailing_newline_in_either_id(value: str) -> None:
    for topic in (f"aed/v1/gw/{value}/state", f"aed/v1/gw/{value}/heartbeat",
                  f"aed/v1/gw/g1/dev/{value}/telemetry", f"aed/v1/gw/{value}/dev/d1/event"):
        with pytest.raises(ProtocolError) as info:
            parse_topic(topic)
        assert info.value.reason is Reason.BAD_TOPIC, topic


@pytest.mark.parametrize("value", NEWLINE_IDS, ids=repr)
def test_builders_refuse_a_trailing_newline(value: str) -> None:
    with pytest.raises(ProtocolError):
        state_topic(value)
    with pytest.raises(ProtocolError):
        telemetry_topic("g1", value)
    with pytest.raises(ProtocolError):
        device_topic(value, "d1", TopicKind.EVENT)


@pytest.mark.parametrize("value", NEWLINE_IDS, ids=repr)
def test_broker_accounts_refuse_a_trailing_newline(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid gateway id"):
        dynsec.check_gateway_id(value)
    with pytest.raises(ValueError, match="not a valid gateway id"):
        dynsec.create_gateway_commands(value, "pw", "aed-agent-x", "aed/v1")


class _UntouchableAdmin:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the broker was asked to {name} for an invalid gateway id")


def test_provisioning_creates_no_gateway_with_a_newline_in_its_id(db: Session) -> None:
    db.add(Site(external_id="site-1", name="站点", kind="other", lat=31.25, lon=121.52))
    db.commit()
    with pytest.raises(ValueError, match="not a valid gateway id"):
        add_gateway(db, _UntouchableAdmin(), "gw-1\n", "site-1",  # type: ignore[arg-type]
                    AgentEndpoint(host="127.0.0.1", port=1883))
    db.rollback()
    assert db.scalars(select(Gateway)).all() == []


def test_pydantic_fields_keep_refusing_a_trailing_newline() -> None:
    """Guard (this already held): ID_PATTERN keeps `$` as the end of the text in pydantic."""
    from device_agent.protocol.messages import Envelope

    envelope = {"v": 1, "msg_id": "1-1", "session": 1, "seq": 1,
                "ts": "2026-01-01T00:00:00Z", "replay": False}
    good = Envelope.model_validate_json(json.dumps({**envelope, "gateway_id": "gw-1"}))
    assert good.gateway_id == "gw-1"
    with pytest.raises(ValidationError, match="gateway_id"):
        Envelope.model_validate_json(json.dumps({**envelope, "gateway_id": "gw-1\n"}))
