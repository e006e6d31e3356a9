"""The "platform" channel kind: a feed's changes pushed to a platform (a city's AED
registry) as JSON, signed.

Each delivery is one outbox row (app/feeds/pushes.py writes them): its body is the JSON
sent as it is, its subject the delivery id. The body is signed with HMAC-SHA256 and the
platform's secret, in ``X-Signature: sha256=<hex>``; ``X-Delivery-Id`` repeats the id.
The secret is the channel's ``secret_env`` (the name of an environment variable, read at
each send) or its ``secret``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

KIND = "platform"
SIGNATURE_HEADER = "X-Signature"
DELIVERY_HEADER = "X-Delivery-Id"
CONTENT_TYPE = "application/json; charset=utf-8"


def signature(secret: bytes, body: bytes) -> str:
    """What ``X-Signature`` carries: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def secret_of(config: Mapping[str, Any]) -> bytes:
    """The platform's secret; ValueError naming what is missing."""
    name = config.get("secret_env")
    if name:
        value = os.environ.get(str(name))
        if not value:
            raise ValueError(f"the environment variable {name} (secret_env) is not set")
        return value.encode("utf-8")
    secret = config.get("secret")
    if not secret:
        raise ValueError("the platform has neither secret_env nor secret")
    return str(secret).encode("utf-8")


def request_headers(config: Mapping[str, Any], delivery_id: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, DELIVERY_HEADER: delivery_id,
            SIGNATURE_HEADER: signature(secret_of(config), body)}
