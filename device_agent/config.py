"""Agent configuration file (TOML), validated; errors name the offending key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from device_agent.drivers import DRIVER_MODULES, driver_class
from device_agent.end_to_end import Delivery, DeliveryMode
from device_agent.protocol import DEFAULT_ROOT, ID_PATTERN, Thresholds

Id = Annotated[str, Field(pattern=ID_PATTERN)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsConfig(_Section):
    ca_file: Path | None = Field(default=None, description="CA bundle for the broker cert")
    cert_file: Path | None = Field(default=None, description="client certificate (mutual TLS)")
    key_file: Path | None = Field(default=None, description="client private key")

    @model_validator(mode="after")
    def _pair(self) -> TlsConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self


class MqttConfig(_Section):
    host: str = Field(default="127.0.0.1", description="broker host name or address")
    port: int = Field(default=1883, ge=1, le=65535, description="broker port")
    username: str | None = Field(default=None, description="MQTT user name")
    password: str | None = Field(default=None, description="MQTT password")
    password_file: Path | None = Field(default=None, description="file holding the password")
    client_id: str | None = Field(default=None, description="default aed-agent-{gateway_id}")
    keepalive_s: int = Field(default=30, ge=5, le=3600, description="MQTT keepalive")
    topic_root: str = Field(default=DEFAULT_ROOT, description="topic root of the contract")
    max_inflight: int = Field(default=200, ge=1, le=65535, description="QoS 1 window")
    reconnect_min_s: float = Field(default=1.0, gt=0, description="first reconnect delay")
    reconnect_max_s: float = Field(default=60.0, gt=0, description="reconnect delay cap")
    connect_timeout_s: float = Field(default=10.0, gt=0, description="TCP connect timeout")
    tls: TlsConfig | None = Field(default=None, description="enable TLS when present")

    @model_validator(mode="after")
    def _secrets(self) -> MqttConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("set password or password_file, not both")
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError("reconnect_min_s must not exceed reconnect_max_s")
        return self

    def resolved_password(self) -> str | None:
        if self.password_file is not None:
            return self.password_file.read_text().strip()
        return self.password


class OutboxConfig(_Section):
    max_messages: int = Field(
        default=50_000, ge=10, description="bound; then heartbeats, then telemetry are evicted"
    )
    synchronous: str = Field(
        default="FULL",
        pattern="^(FULL|NORMAL)$",
        description="SQLite sync: FULL survives power loss, NORMAL only a crash",
    )
    delivery: Literal["end_to_end", "puback"] = Field(
        default="end_to_end",
        description="end_to_end: delete a message when the server's ack covers it; "
        "puback: on the broker's PUBACK (only for a broker trusted to persist it)",
    )
    ack_timeout_s: float = Field(
        default=60.0, gt=0, le=86400,
        description="send again (replay) what was PUBACKed but not acknowledged by then",
    )
    ack_timeout_max_s: float = Field(
        default=3600.0, gt=0, le=604800,
        description="each resend of a message doubles its wait, up to this",
    )

    @model_validator(mode="after")
    def _timeouts(self) -> OutboxConfig:
        if self.ack_timeout_s > self.ack_timeout_max_s:
            raise ValueError("ack_timeout_s must not exceed ack_timeout_max_s")
        return self

    def delivery_settings(self) -> Delivery:
        return Delivery(DeliveryMode(self.delivery), self.ack_timeout_s, self.ack_timeout_max_s)


class DeviceConfig(_Section):
    id: Id = Field(description="device id in topics, e.g. aed-01")
    driver: str = Field(description=f"one of: {', '.join(sorted(DRIVER_MODULES))}")
    options: dict[str, Any] = Field(default_factory=dict, description="the driver's options")

    @field_validator("driver")
    @classmethod
    def _known_driver(cls, name: str) -> str:
        driver_class(name)  # raises ValueError naming the known drivers
        return name


class AgentConfig(_Section):
    gateway_id: Id = Field(description="this gateway's id, e.g. gw-yp-001")
    state_dir: Path = Field(description="outbox, session counter and applied config live here")
    poll_interval_s: float = Field(
        default=5.0, ge=0.01, le=3600, description="how often drivers are read (events)"
    )
    report_interval_s: float = Field(default=60.0, ge=0.01, description="telemetry period")
    heartbeat_interval_s: float = Field(default=60.0, ge=0.05, description="heartbeat period")
    thresholds: Thresholds = Field(
        default_factory=Thresholds, description="until config sync sends its own"
    )
    observed_log: Path | None = Field(
        default=None, description="append each stored msg_id here (testing and audits)"
    )
    delivery_log: Path | None = Field(
        default=None,
        description="append `puback MSG_ID` and `acked MSG_ID` lines here (testing and audits)",
    )
    log_level: str = Field(
        default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="log verbosity"
    )
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="broker connection")
    outbox: OutboxConfig = Field(default_factory=OutboxConfig, description="durable queue")
    devices: list[DeviceConfig] = Field(default_factory=list, description="[[devices]] tables")


class ConfigError(Exception):
    """One line, naming the key: `mqtt.port: Input should be a valid integer`."""


def format_validation_error(exc: ValidationError, prefix: str = "") -> str:
    err = exc.errors(include_url=False)[0]
    key = prefix + ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = str(err["msg"]).replace("\n", " ")
    return f"{key.rstrip('.')}: {msg}"


def parse_config(data: dict[str, Any]) -> AgentConfig:
    try:
        cfg = AgentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None
    # Each driver validates its own options; name the key down to the option.
    for index, device in enumerate(cfg.devices):
        try:
            driver_class(device.driver).Options.model_validate(device.options)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, f"devices.{index}.options.")) from None
    return cfg


def load_config(path: Path) -> AgentConfig:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_config(data)
