"""Talk to Mosquitto's dynamic-security plugin over its control topic.

One short-lived MQTT connection per batch of commands: connect with the admin account,
subscribe to the response topic, publish the commands, wait for the answer. Every
command carries correlation data, so the answer is matched to what we asked.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import ssl
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import paho.mqtt.client as mqtt

from app.config import MqttUrl, Settings
from app.gateways.mqtt_client import guarded, new_client

log = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
# Errors that mean "already gone": fine when deleting.
MISSING_ERRORS = ("Client not found", "Role not found")
ACCOUNTS_FILE = "broker-accounts.json"


class BrokerAdminError(RuntimeError):
    """The broker could not be reached, refused us, or refused a command."""


@dataclass(frozen=True)
class BrokerAdminSettings:
    host: str
    port: int
    username: str
    password: str
    tls: bool = False
    ca_file: str | None = None
    timeout_s: float = 10.0

    @classmethod
    def from_url(cls, url: str, ca_file: str | None = None) -> BrokerAdminSettings:
        endpoint = MqttUrl.parse(url)
        if urlparse(url).scheme not in {"mqtt", "mqtts"} or not endpoint.username:
            raise BrokerAdminError("MQTT_ADMIN_URL must look like mqtt://USER:PASSWORD@HOST:PORT")
        return cls(
            host=endpoint.host, port=endpoint.port, username=endpoint.username,
            password=endpoint.password or "", tls=endpoint.tls, ca_file=ca_file,
        )


def account_url(host: str, port: int, username: str, password: str) -> str:
    return f"mqtt://{quote(username, safe='')}:{quote(password, safe='')}@{host}:{port}"


@dataclass(frozen=True)
class BrokerAccounts:
    """The admin and ingest account URLs, as ACCOUNTS_FILE holds them (written once by
    `gateway broker-init` or the embedded broker, read by whoever needs an account)."""

    admin_url: str
    ingest_url: str

    @classmethod
    def load(cls, path: Path) -> BrokerAccounts:
        data = json.loads(path.read_text())
        return cls(data["admin_url"], data["ingest_url"])

    def to_json(self) -> str:
        return json.dumps({"admin_url": self.admin_url, "ingest_url": self.ingest_url},
                          indent=1)


def resolve_admin_settings(
    extra: Mapping[str, Any], data_dir: Path, env: Mapping[str, str] | None = None
) -> BrokerAdminSettings:
    """MQTT_ADMIN_URL from the app's settings, then the environment, then DATA_DIR's file.

    The file (DATA_DIR/mosquitto/broker-accounts.json) is what `make run` and
    `gateway broker-init --data-dir` write for the embedded broker.
    """
    env = os.environ if env is None else env
    url = extra.get("MQTT_ADMIN_URL") or env.get("MQTT_ADMIN_URL")
    ca_file = extra.get("MQTT_ADMIN_CA_FILE") or env.get("MQTT_ADMIN_CA_FILE")
    if url:
        return BrokerAdminSettings.from_url(str(url), ca_file=ca_file)
    accounts = data_dir / "mosquitto" / ACCOUNTS_FILE
    if accounts.exists():
        return BrokerAdminSettings.from_url(BrokerAccounts.load(accounts).admin_url)
    raise BrokerAdminError(
        "no broker admin account configured: set MQTT_ADMIN_URL (mqtt://USER:PASSWORD@HOST:PORT)"
    )


class BrokerAdmin:
    def __init__(self, settings: BrokerAdminSettings) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerAdmin:
        """The admin account the app's settings name (see `resolve_admin_settings`)."""
        return cls(resolve_admin_settings(settings.extra, settings.data_dir))

    def execute(
        self, commands: Sequence[Mapping[str, Any]], ignore_missing: bool = False
    ) -> list[dict[str, Any]]:
        """Run `commands` in order; raise BrokerAdminError on the first refused one."""
        tagged = [{**c, "correlationData": secrets.token_hex(8)} for c in commands]
        responses = self._roundtrip(tagged)
        by_tag = {r.get("correlationData"): r for r in responses}
        out: list[dict[str, Any]] = []
        for command in tagged:
            answer = by_tag.get(command["correlationData"])
            if answer is None:
                raise BrokerAdminError(f"no answer to {command['command']}")
            error = answer.get("error")
            if error and not (ignore_missing and error in MISSING_ERRORS):
                raise BrokerAdminError(f"broker refused {command['command']}: {error}")
            out.append(answer)
        return out

    def _roundtrip(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        s = self.settings
        connected = threading.Event()
        subscribed = threading.Event()
        answered = threading.Event()
        outcome: dict[str, Any] = {}
        wanted = {c["correlationData"] for c in commands}
        responses: list[dict[str, Any]] = []
        client = new_client(
            f"aed-admin-{secrets.token_hex(4)}", username=s.username, password=s.password,
            tls=s.tls, ca_file=s.ca_file,
        )

        @guarded(log)
        def on_connect(c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
            outcome["connect"] = rc
            connected.set()
            if not rc.is_failure:
                c.subscribe(RESPONSE_TOPIC, qos=1)

        @guarded(log)
        def on_subscribe(_c: mqtt.Client, _u: Any, _mid: int, rcs: Any, _p: Any) -> None:
            outcome["subscribe"] = rcs
            subscribed.set()

        @guarded(log)
        def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            try:
                batch = json.loads(msg.payload).get("responses", [])
            except ValueError:
                return
            responses.extend(r for r in batch if r.get("correlationData") in wanted)
            if wanted <= {r.get("correlationData") for r in responses}:
                answered.set()

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        try:
            client.connect(s.host, s.port, keepalive=30)
        except (OSError, ssl.SSLError) as exc:
            raise BrokerAdminError(f"cannot reach the broker at {s.host}:{s.port}: {exc}") from exc
        client.loop_start()
        try:
            if not connected.wait(s.timeout_s):
                raise BrokerAdminError("the broker did not answer the admin login")
            if outcome["connect"].is_failure:
                raise BrokerAdminError(f"the broker refused the admin login: {outcome['connect']}")
            if not subscribed.wait(s.timeout_s) or any(
                rc.is_failure for rc in outcome["subscribe"]
            ):
                raise BrokerAdminError(
                    "the broker refused the control topic (is the dynamic-security plugin "
                    "loaded and is this the admin account?)"
                )
            client.publish(CONTROL_TOPIC, json.dumps({"commands": commands}), qos=1)
            if not answered.wait(s.timeout_s):
                raise BrokerAdminError("no answer from the dynamic-security plugin in time")
        finally:
            client.disconnect()
            client.loop_stop()
            # paho keeps its wake-up socket pair until the client is garbage-collected
            # (it sits in a reference cycle with its thread); close it now.
            client._reset_sockets()
        return responses
