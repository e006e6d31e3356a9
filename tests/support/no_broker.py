"""Settings for tests that must not reach any broker: the app points at a free port
where nothing listens, so a test never publishes into a broker another test started."""

from __future__ import annotations

from tests.support.mosquitto import free_port


def without_broker(app_config: dict[str, object],
                   publish_timeout_s: float = 3.0) -> dict[str, object]:
    return {**app_config, "MQTT_URL": f"mqtt://127.0.0.1:{free_port()}",
            "CONFIG_PUBLISH_TIMEOUT_S": publish_timeout_s}
