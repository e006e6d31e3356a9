"""The MQTT side of ingest: a persistent session that hands messages on and acks later.

- Fixed client id and a persistent session (clean session off on 3.1.1; session expiry
  on MQTT 5), so messages published while ingest is down wait at the broker.
- `manual_ack`: the broker's PUBACK is sent by the writer after the commit. Until then
  the message counts against the broker's in-flight window (Mosquitto's
  `max_inflight_messages`, or our Receive Maximum on MQTT 5), which is what bounds
  ingest's memory: a slow database makes the broker hold messages, not us.
- Callbacks only enqueue, and never raise (an exception would kill paho's thread).
- paho's own loop reconnects with backoff; every connect resubscribes.
- The same client publishes the end-to-end acks to gateways (app/ingest/acks.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from app.config import MqttUrl
from app.devices import RawMessage
from app.gateways.mqtt_client import guarded, new_client
from app.ingest.inbox import Inbox
from app.ingest.stats import IngestStats
from app.ingest.writer import Inbound
from device_agent.protocol import MAX_PAYLOAD_BYTES, server_subscriptions

log = logging.getLogger("aed.ingest.mqtt")

T = TypeVar("T")
SHARE_GROUP = "ingest"
# What a received message becomes in the inbox: (topic, payload head, original size,
# mid, qos, connection generation) -> item.
ItemFactory = Callable[[str, bytes, int, int, int, int], T]


# Our own QoS 1 publishes (gateway acks) in flight at once: paho's default of 20 would
# make a fleet's acks queue behind each other's PUBACKs.
PUBLISH_INFLIGHT = 1000

# The message behind a failed callback is not acked, so the broker redelivers it.
never_raises = guarded(log, "ignored; message stays unacked")


@dataclass(frozen=True)
class ConsumerSettings:
    host: str
    port: int
    client_id: str
    topic_root: str = "aed/v1"
    shared: bool = True
    share_group: str = SHARE_GROUP
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    protocol: int = 4  # 4 = MQTT 3.1.1, 5 = MQTT 5
    keepalive_s: int = 30
    # MQTT 5 Receive Maximum; on 3.1.1 the broker's max_inflight_messages applies.
    receive_maximum: int = 1000
    session_expiry_s: int = 7 * 24 * 3600
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30

    @classmethod
    def from_url(cls, url: str, client_id: str, **kwargs: Any) -> ConsumerSettings:
        endpoint = MqttUrl.parse(url)
        return cls(
            host=endpoint.host, port=endpoint.port, client_id=client_id,
            username=endpoint.username, password=endpoint.password, tls=endpoint.tls,
            **kwargs,
        )

    def filters(self) -> list[str]:
        """The agent→server topics only: the server's own retained config is not input."""
        base = server_subscriptions(self.topic_root)
        if self.shared:
            return [f"$share/{self.share_group}/{f}" for f in base]
        return base


def inbound_item(topic: str, payload: bytes, size: int, mid: int, qos: int,
                 generation: int) -> Inbound:
    return Inbound(RawMessage(topic, payload, datetime.now(UTC), size), mid, qos, generation)


class LinkEvents:
    """The connection state the writer, the heartbeat and the receiver process read, alike
    for `MqttConsumer` and the receiver process's `ReceiverLink` (app/ingest/receiver_link.py).
    """

    def __init__(self) -> None:
        self.connected = threading.Event()
        # Set once the broker confirmed the subscriptions of the current connection.
        self.subscribed = threading.Event()
        self._closing = threading.Event()

    def _dropped(self) -> None:
        """The connection is gone: neither connected nor subscribed until the next one."""
        self.connected.clear()
        self.subscribed.clear()


class MqttConsumer(LinkEvents, Generic[T]):
    def __init__(
        self,
        settings: ConsumerSettings,
        inbox: Inbox[T],
        stats: IngestStats,
        make_item: ItemFactory[T] = inbound_item,  # type: ignore[assignment]
        on_state: Callable[[], None] | None = None,
        generation_base: int = 0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.inbox = inbox
        self.stats = stats
        self._make_item = make_item
        # Told of every change of connected/subscribed (the receiver process relays it).
        self._on_state = on_state or (lambda: None)
        self._generation = generation_base
        self._generation_base = generation_base
        self._accepting = True
        self._gone = threading.Event()
        self._barrier = threading.Event()
        self._keep = MAX_PAYLOAD_BYTES + 1
        self.client = self._build_client()

    def _build_client(self) -> mqtt.Client:
        s = self.settings
        v5 = s.protocol == 5
        client = new_client(
            s.client_id, username=s.username, password=s.password, tls=s.tls,
            ca_file=s.ca_file, manual_ack=True,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            # MQTT 5 keeps the session by its expiry, set at connect (see start).
            clean_session=None if v5 else False,
        )
        client.reconnect_delay_set(s.reconnect_min_s, s.reconnect_max_s)
        client.max_inflight_messages_set(PUBLISH_INFLIGHT)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        return client

    @property
    def generation(self) -> int:
        return self._generation

    def start(self) -> None:
        s = self.settings
        if s.protocol == 5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = s.session_expiry_s
            props.ReceiveMaximum = s.receive_maximum
            self.client.connect_async(s.host, s.port, s.keepalive_s, clean_start=False,
                                      properties=props)
        else:
            self.client.connect_async(s.host, s.port, s.keepalive_s)
        self.client.loop_start()

    def stop_intake(self) -> None:
        """Leave further deliveries unacknowledged (the broker redelivers them later)."""
        self._accepting = False

    def stop(self, timeout: float = 5.0) -> None:
        self._closing.set()
        self._accepting = False
        try:
            if self.connected.is_set():
                # Closing a socket with unread input resets the connection, and the
                # broker may then drop PUBACKs it has not read yet. An UNSUBACK answers
                # only after everything before it was processed, so it is the barrier.
                self._barrier.clear()
                self.client.unsubscribe(f"{self.settings.topic_root}/ingest-barrier")
                self._barrier.wait(timeout)
                self._gone.clear()
                self.client.disconnect()
                # loop_stop() ends the network thread at once, possibly before our last
                # PUBACKs reach the socket: wait until the DISCONNECT behind them is out.
                self._gone.wait(timeout)
        finally:
            self.client.loop_stop()

    def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """QoS 1, not retained. While disconnected paho keeps them for the next
        connection; one lost is harmless (the gateway sends again and is acked again)."""
        publish = self.client.publish
        for topic, payload in messages:
            publish(topic, payload, qos=1)

    def ack(self, items: Sequence[Inbound]) -> int:
        """Send PUBACKs for committed messages delivered on the current connection."""
        return self.ack_ids([(i.generation, i.mid, i.qos) for i in items])

    def ack_ids(self, ids: Sequence[tuple[int, int, int]]) -> int:
        """PUBACK each (generation, mid, qos) delivered on the current connection.

        A message from an earlier connection is not acked: its packet id may already
        name another message now, and the broker redelivers it anyway (stored once).
        """
        current = self._generation
        sent = skipped = 0
        ack = self.client.ack
        for generation, mid, qos in ids:
            if qos == 0:
                continue
            if generation != current:
                skipped += 1
                continue
            ack(mid, qos)
            sent += 1
        if skipped:
            self.stats.incr("ack_skipped", skipped)
        return sent

    # -- callbacks (network thread) -----------------------------------------------------

    @never_raises
    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        self._generation += 1
        if self._generation > self._generation_base + 1:
            self.stats.incr("reconnects")
        present = getattr(flags, "session_present", None)
        log.info("connected to %s:%d as %r (session present: %s); subscribing %s",
                 self.settings.host, self.settings.port, self.settings.client_id, present,
                 ", ".join(self.settings.filters()))
        client.subscribe([(f, 1) for f in self.settings.filters()])
        self.connected.set()
        self._on_state()

    @never_raises
    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _props: Any
    ) -> None:
        refused = [r for r in reasons if getattr(r, "is_failure", False)]
        if refused:
            log.error("subscription refused by the broker: %s", refused)
        else:
            self.stats.connected = True
            self.subscribed.set()
            self._on_state()

    @never_raises
    def _on_unsubscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, _reasons: Any, _props: Any
    ) -> None:
        self._barrier.set()

    @never_raises
    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._dropped()
        self._gone.set()
        self.stats.connected = False
        self._on_state()
        if not self._closing.is_set():
            log.warning("disconnected from broker (%s); reconnecting", reason)

    @never_raises
    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if not self._accepting:
            return
        payload = msg.payload
        size = len(payload)
        if size > self._keep:
            # Only the head of an oversize payload is kept (for the dead letter).
            payload = payload[: self._keep]
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = msg._topic.decode("utf-8", "replace")  # a bad topic is dead-lettered
        item = self._make_item(topic, bytes(payload), size, msg.mid, msg.qos, self._generation)
        self.stats.counts["received"] += 1
        if not self.inbox.offer(item):
            # Backstop for brokers without an in-flight limit: stop reading the socket
            # until the writer catches up, so memory stays bounded.
            self.stats.incr("backpressure_waits")
            while not self._closing.is_set() and not self.inbox.put(item, timeout=0.5):
                continue
