"""`flask --app app ingest`: run one ingest worker until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext

from app.extensions import get_alert_policy, get_settings
from app.heap import settle_long_lived
from app.ingest.service import IngestOptions, IngestService


@click.command("ingest", help="Consume gateway MQTT messages into the database.")
@click.option("--client-id", envvar="INGEST_CLIENT_ID", default="aed-ingest-1",
              show_default=True,
              help="Fixed MQTT client id (its persistent session survives restarts); "
                   "every worker needs its own.")
@click.option("--shared/--no-shared", default=True, show_default=True,
              help="Subscribe through the shared group $share/ingest/... so several "
                   "workers split the stream.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 20000),
              help="Most messages in one transaction; keep it at or below half the "
                   "broker's in-flight window.")
@click.option("--batch-ms", default=50.0, show_default=True, type=click.FloatRange(0, 10000),
              help="Longest wait for a batch to fill after its first message.")
@click.option("--max-queue", default=5000, show_default=True, type=click.IntRange(1))
@click.option("--summary-s", default=30.0, show_default=True, type=click.FloatRange(0.1),
              help="Interval of the one-line summary in the log.")
@click.option("--heartbeat-s", default=5.0, show_default=True, type=click.FloatRange(0.1),
              help="Interval of the heartbeat row read by /healthz and /metrics.")
@click.option("--mqtt-protocol", type=click.Choice(["3.1.1", "5"]), default="3.1.1",
              show_default=True)
@click.option("--receive-maximum", default=2000, show_default=True,
              type=click.IntRange(1, 65535),
              help="MQTT 5 only: unacknowledged messages the broker may send at once.")
@click.option("--receiver", type=click.Choice(["process", "thread"]), default="process",
              show_default=True,
              help="Run the MQTT client in its own process (receiving and writing each "
                   "use a core) or as a thread of this one.")
@click.option("--mqtt-url", envvar="INGEST_MQTT_URL", default=None,
              help="Broker URL (default: the MQTT_URL setting).")
@with_appcontext
def ingest_cmd(
    client_id: str, shared: bool, batch_size: int, batch_ms: float, max_queue: int,
    summary_s: float, heartbeat_s: float, mqtt_protocol: str, receive_maximum: int,
    receiver: str, mqtt_url: str | None,
) -> None:
    options = IngestOptions(
        client_id=client_id, shared=shared, batch_size=batch_size, batch_ms=batch_ms,
        max_queue=max_queue, summary_s=summary_s, heartbeat_s=heartbeat_s,
        protocol=5 if mqtt_protocol == "5" else 4, receive_maximum=receive_maximum,
        receiver=receiver,
    )
    service = IngestService(get_settings(), options, mqtt_url=mqtt_url,
                            alerts=get_alert_policy())
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # The app, its models and the service are set up: they live as long as the process.
    settle_long_lived()
    service.start()
    raise SystemExit(service.wait(stop))
