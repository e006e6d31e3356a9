"""The single error type raised for anything that breaks the MQTT contract."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Machine-readable reasons; ingest stores them with dead letters."""

    BAD_TOPIC = "bad_topic"
    TOO_LARGE = "too_large"
    BAD_ENCODING = "bad_encoding"
    BAD_JSON = "bad_json"
    NOT_AN_OBJECT = "not_an_object"
    UNSUPPORTED_VERSION = "unsupported_version"
    MISSING_FIELD = "missing_field"
    INVALID_VALUE = "invalid_value"
    TOPIC_MISMATCH = "topic_mismatch"
    WRONG_DIRECTION = "wrong_direction"


class ProtocolError(ValueError):
    """A topic or payload that does not follow protocol v1.

    `reason` is stable and meant for machines; `message` is for people and may change.
    `field` names the offending payload field (dotted path) when there is one.
    """

    def __init__(self, reason: Reason, message: str, field: str | None = None) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"reason": self.reason.value, "message": self.message, "field": self.field}
