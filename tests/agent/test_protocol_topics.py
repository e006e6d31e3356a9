"""Topic builders and parser of protocol v1."""

from __future__ import annotations

import pytest

from device_agent.protocol import (
    ParsedTopic,
    ProtocolError,
    Reason,
    TopicKind,
    config_topic,
    event_topic,
    heartbeat_topic,
    parse_topic,
    server_subscriptions,
    state_topic,
    telemetry_topic,
)


def test_builders_follow_the_contract() -> None:
    assert state_topic("gw-yp-001") == "aed/v1/gw/gw-yp-001/state"
    assert heartbeat_topic("gw-yp-001") == "aed/v1/gw/gw-yp-001/heartbeat"
    assert config_topic("gw-yp-001") == "aed/v1/gw/gw-yp-001/config"
    assert telemetry_topic("gw-yp-001", "aed-01") == "aed/v1/gw/gw-yp-001/dev/aed-01/telemetry"
    assert event_topic("gw-yp-001", "aed-01", root="x/y") == "x/y/gw/gw-yp-001/dev/aed-01/event"


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("aed/v1/gw/g1/state", ParsedTopic(TopicKind.STATE, "g1")),
        ("aed/v1/gw/g1/heartbeat", ParsedTopic(TopicKind.HEARTBEAT, "g1")),
        ("aed/v1/gw/g1/config", ParsedTopic(TopicKind.CONFIG, "g1")),
        ("aed/v1/gw/g1/dev/d_2/telemetry", ParsedTopic(TopicKind.TELEMETRY, "g1", "d_2")),
        ("aed/v1/gw/g1/dev/d-2/event", ParsedTopic(TopicKind.EVENT, "g1", "d-2")),
    ],
)
def test_parse_round_trips(topic: str, expected: ParsedTopic) -> None:
    assert parse_topic(topic) == expected


def test_parse_with_custom_root() -> None:
    assert parse_topic("site/a/gw/g1/state", root="site/a") == ParsedTopic(TopicKind.STATE, "g1")
    with pytest.raises(ProtocolError):
        parse_topic("aed/v1/gw/g1/state", root="site/a")


@pytest.mark.parametrize(
    "topic",
    [
        "other/v1/gw/g1/state",
        "aed/v1/gw/g1/telemetry",  # device kind without a device
        "aed/v1/gw/g1/dev/d1/state",  # gateway kind under a device
        "aed/v1/gw/g1/dev/d1/unknown",
        "aed/v1/gw/g 1/state",
        "aed/v1/gw/" + "g" * 65 + "/state",
        "aed/v1/gw/g1/dev//event",
        "aed/v1/gw/+/state",
        "aed/v1/gw/g1/state/extra",
        "aed/v1/gw/g1/dev/d1/event/",
    ],
)
def test_parse_rejects_foreign_topics(topic: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_topic(topic)
    assert info.value.reason is Reason.BAD_TOPIC


def test_builders_refuse_bad_ids() -> None:
    with pytest.raises(ProtocolError):
        state_topic("gw/evil")
    with pytest.raises(ProtocolError):
        telemetry_topic("gw1", "#")


def test_server_subscriptions_cover_agent_topics_only() -> None:
    subs = server_subscriptions()
    assert "aed/v1/gw/+/dev/+/telemetry" in subs
    assert not any(s.endswith("/config") for s in subs)
