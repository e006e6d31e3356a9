"""The server's desired config on our `config` topic: check it, apply it or refuse it.

An applied config is stored in the outbox database and applied again at the next
start, before the broker is reached. A refused one leaves the previous one in force;
`error` says why, and every heartbeat reports it until a valid config arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from device_agent.outbox import Outbox
from device_agent.protocol import (
    ConfigMessage,
    DeviceSettings,
    ProtocolError,
    Reason,
    Thresholds,
    config_topic,
    decode,
)

log = logging.getLogger("device_agent.gateway")

STORED_CONFIG_KEY = "config"


@dataclass
class Intervals:
    poll_s: float
    report_s: float
    heartbeat_s: float


class Configurable(Protocol):
    def apply_settings(self, settings: DeviceSettings) -> None: ...


class RemoteConfig:
    """The config version in force, and the intervals and thresholds it sets."""

    def __init__(
        self,
        *,
        gateway_id: str,
        root: str,
        outbox: Outbox,
        intervals: Intervals,
        thresholds: Thresholds,
        devices: Mapping[str, Configurable],
    ) -> None:
        self.gateway_id = gateway_id
        self.topic = config_topic(gateway_id, root)
        self.root = root
        self.outbox = outbox
        # From the gateway's own config file: what an omitted key falls back to.
        self.defaults = intervals
        self.default_thresholds = thresholds
        self.intervals = Intervals(intervals.poll_s, intervals.report_s, intervals.heartbeat_s)
        self.thresholds = thresholds
        self.devices = devices
        self.version = 0
        self.error: str | None = None

    def restore(self) -> bool:
        """Apply the config stored at the last run, if it is still valid here."""
        stored = self.outbox.get_meta(STORED_CONFIG_KEY)
        if not stored:
            return False
        try:
            message = self._decode(stored.encode())
            self._check(message)
        except ProtocolError as exc:
            log.warning("%s: stored config no longer valid (%s)", self.gateway_id, exc)
            return False
        self._apply(message)
        return True

    def receive(self, topic: str, payload: bytes) -> bool | None:
        """A message on our subscription: True applied, False refused, None nothing new."""
        if topic != self.topic or not payload:
            return None  # an empty retained payload only clears the topic
        try:
            message = self._decode(payload)
            if message.config_version == self.version:
                return None  # the retained copy, redelivered at each connect
            self._check(message)
        except ProtocolError as exc:
            self.error = f"{exc.reason.value}: {exc.message}"[:1024]
            log.error(
                "%s: refused config (%s); keeping version %d",
                self.gateway_id,
                self.error,
                self.version,
            )
            return False
        self._apply(message)
        self.outbox.set_meta(STORED_CONFIG_KEY, payload.decode())
        self.error = None
        log.info("%s: applied config version %d", self.gateway_id, self.version)
        return True

    def _decode(self, payload: bytes) -> ConfigMessage:
        _, message = decode(self.topic, payload, self.root)
        assert isinstance(message, ConfigMessage)
        return message

    def _check(self, message: ConfigMessage) -> None:
        unknown = sorted(set(message.devices) - set(self.devices))
        if unknown:
            raise ProtocolError(
                Reason.INVALID_VALUE,
                f"config names devices not on this gateway: {', '.join(unknown)}",
                field="devices",
            )

    def _apply(self, message: ConfigMessage) -> None:
        self.version = message.config_version
        self.intervals.report_s = message.report_interval_s or self.defaults.report_s
        self.intervals.heartbeat_s = message.heartbeat_interval_s or self.defaults.heartbeat_s
        self.thresholds = message.thresholds or self.default_thresholds
        for device_id, settings in message.devices.items():
            self.devices[device_id].apply_settings(settings)
