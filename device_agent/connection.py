"""One gateway's MQTT connection: a paho client per attempt, reconnects, will and birth.

paho callbacks only record what happened (with the connection's generation); the
runtime drains them on the reactor's thread, so no callback can raise into paho's loop
or block it. Reactor IO (socket, reads, writes, keepalive) goes through here too.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt

from device_agent.backoff import Backoff
from device_agent.link import LinkSettings, is_auth_failure, new_client, safe_callback
from device_agent.protocol import GatewayState

log = logging.getLogger("device_agent.gateway")

MISC_INTERVAL_S = 1.0  # paho keepalive bookkeeping

# A recorded callback: (kind, generation, *details); kinds "connect", "disconnect",
# "puback" (mid) and "message" (topic, payload).
Callback = tuple[Any, ...]


@dataclass(kw_only=True, eq=False)  # eq=False: a live connection is equal to itself only
class Connection:
    gateway_id: str
    link: LinkSettings
    state_topic: str
    state_payload: Callable[[GatewayState, datetime | None], bytes]
    wall: Callable[[], datetime]
    subscriptions: Sequence[str]
    # Whatever was in flight on a dropped client is owed again: the owner forgets it.
    on_drop: Callable[[], None]
    started: float

    def __post_init__(self) -> None:
        self._stamp: datetime | None = None
        self.backoff = Backoff(self.link.reconnect_min_s, self.link.reconnect_max_s)
        self.client: mqtt.Client | None = None
        self.generation = 0
        self.connected = False
        self.fatal: str | None = None
        self.next_connect_at = self.started
        self.next_misc = self.started
        self.connack_deadline = math.inf
        self._callbacks: deque[Callback] = deque()

    # ---- paho callbacks: record only -------------------------------------------------

    @safe_callback
    def _on_connect(self, client: Any, gen: int, flags: Any, rc: Any, props: Any) -> None:
        self._callbacks.append(("connect", gen, rc))

    @safe_callback
    def _on_disconnect(self, client: Any, gen: int, flags: Any, rc: Any, props: Any) -> None:
        self._callbacks.append(("disconnect", gen, rc))

    @safe_callback
    def _on_publish(self, client: Any, gen: int, mid: int, rc: Any, props: Any) -> None:
        self._callbacks.append(("puback", gen, mid))

    @safe_callback
    def _on_message(self, client: Any, gen: int, msg: mqtt.MQTTMessage) -> None:
        self._callbacks.append(("message", gen, msg.topic, bytes(msg.payload)))

    @property
    def has_callbacks(self) -> bool:
        return bool(self._callbacks)

    def callbacks(self) -> Iterator[Callback]:
        """Recorded callbacks of the current client, oldest first.

        Lazy on purpose: acting on one may drop the client, and then the rest of that
        client's callbacks are stale and skipped.
        """
        while self._callbacks:
            item = self._callbacks.popleft()
            if item[1] == self.generation:
                yield item

    # ---- reactor interface -----------------------------------------------------------

    def socket(self) -> Any:
        return self.client.socket() if self.client is not None else None

    def want_write(self) -> bool:
        return self.client is not None and self.client.want_write()

    def on_readable(self) -> None:
        if self.client is not None:
            self.client.loop_read(64)

    def on_writable(self) -> None:
        if self.client is not None:
            self.client.loop_write()

    def next_timer(self) -> float:
        return self.next_connect_at if self.client is None else self.next_misc

    # ---- lifecycle -------------------------------------------------------------------

    def maintain(self, now: float) -> None:
        """Connect when due, give up on a silent broker, keep paho's keepalive going."""
        if self.client is None and now >= self.next_connect_at:
            self._connect(now)
        elif self.client is not None and not self.connected and now >= self.connack_deadline:
            # TCP accepted but no CONNACK: a hung broker or a middlebox; start over.
            log.warning("%s: no CONNACK in time; reconnecting", self.gateway_id)
            self.drop()
            self.next_connect_at = now + self.backoff.next_delay()
        elif self.client is not None and now >= self.next_misc:
            self.next_misc = now + MISC_INTERVAL_S
            self.client.loop_misc()

    def _connect(self, now: float) -> None:
        self.generation += 1
        client = new_client(self.link, self.generation)
        # The will and the birth of one connection carry one stamp, so the server can tell
        # the will that follows this birth from a late one of an earlier connection.
        self._stamp = self.wall()
        client.will_set(
            self.state_topic, self.state_payload(GatewayState.OFFLINE, self._stamp), qos=1,
            retain=True,
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        try:
            client.connect(self.link.broker.host, self.link.broker.port, self.link.keepalive_s)
        except (OSError, ValueError) as exc:
            delay = self.backoff.next_delay()
            # Long outages would flood the log: say it at the 1st, 2nd, 4th, 8th... try.
            attempts = self.backoff.attempts
            level = logging.WARNING if attempts & (attempts - 1) == 0 else logging.DEBUG
            log.log(
                level,
                "%s: cannot reach broker %s:%s (%s, attempt %d); retry in %.1fs",
                self.gateway_id,
                self.link.broker.host,
                self.link.broker.port,
                exc,
                attempts,
                delay,
            )
            self.next_connect_at = now + delay
            return
        self.client = client
        self.next_misc = now + MISC_INTERVAL_S
        self.connack_deadline = now + self.link.connect_timeout_s

    def drop(self) -> None:
        client, self.client = self.client, None
        self.generation += 1  # whatever this client still reports is stale
        self.connected = False
        self.on_drop()
        if client is not None:
            with contextlib.suppress(Exception):  # the socket may be gone already
                client.disconnect()
            sock = client.socket()
            if sock is not None:
                sock.close()

    def close(self) -> None:
        if self.client is not None:
            self.drop()

    def accept_connack(self, rc: Any, now: float) -> bool:
        """Act on the broker's answer; True when connected (will set, birth sent)."""
        if rc.is_failure:
            if is_auth_failure(rc):
                self.fatal = f"broker refused credentials ({rc}); not retrying"
                log.error("%s: %s", self.gateway_id, self.fatal)
                self.drop()
                return False
            delay = self.backoff.next_delay()
            log.warning("%s: connection refused (%s); retry in %.1fs", self.gateway_id, rc, delay)
            self.drop()
            self.next_connect_at = now + delay
            return False
        assert self.client is not None
        self.connected = True
        self.backoff.reset()
        self.client.publish(
            self.state_topic, self.state_payload(GatewayState.ONLINE, self._stamp), qos=1,
            retain=True,
        )
        for topic in self.subscriptions:
            self.client.subscribe(topic, qos=1)
        return True

    def lost(self, rc: Any, now: float, *, reconnect: bool) -> None:
        was_connected = self.connected
        self.drop()
        if not reconnect:
            return
        delay = self.backoff.next_delay()
        self.next_connect_at = now + delay
        if was_connected:
            log.warning("%s: connection lost (%s); retry in %.1fs", self.gateway_id, rc, delay)

    def publish_state(self, state: GatewayState) -> int | None:
        """Publish our retained state now, if connected; the mid to wait for."""
        if not (self.connected and self.client is not None):
            return None
        info = self.client.publish(self.state_topic, self.state_payload(state, None), qos=1,
                                   retain=True)
        return info.mid
