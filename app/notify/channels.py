"""Transports: SMTP email (smtplib), webhook JSON POST (urllib) and a platform's signed
POST (app/notify/platform.py).

A send either returns or raises DeliveryError with a short reason; retries and logging
are the dispatcher's job. Webhook formats: "wecom" and "dingtalk" (text message, the
shape both group robots accept), "dingtalk_markdown", and plain "json".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from app.models import NotificationChannel
from app.notify import platform

WEBHOOK_FORMATS = ("wecom", "dingtalk", "dingtalk_markdown", "json")


class DeliveryError(Exception):
    pass


def webhook_payload(fmt: str, subject: str, body: str, urgent: bool) -> dict[str, Any]:
    if fmt in ("wecom", "dingtalk"):
        return {"msgtype": "text", "text": {"content": f"{subject}\n{body}"}}
    if fmt == "dingtalk_markdown":
        # split("\n"), not splitlines(): that also breaks at U+2028 and other characters
        # a user may have typed into a name.
        text = "\n\n".join(body.split("\n"))
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": f"### {subject}\n\n{text}"}}
    return {"subject": subject, "body": body, "urgent": urgent}


def _signed_url(url: str, secret: str) -> str:
    """DingTalk "加签": timestamp and HMAC-SHA256 signature as query parameters."""
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={stamp}&sign={sign}"


def send_webhook(config: dict[str, Any], subject: str, body: str, urgent: bool,
                 timeout: float) -> None:
    url = str(config.get("url", ""))
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"webhook url must be http(s): {url!r}")
    fmt = str(config.get("format", "json"))
    if fmt not in WEBHOOK_FORMATS:
        raise DeliveryError(f"unknown webhook format {fmt!r}")
    secret_env = config.get("secret_env")
    if secret_env and os.environ.get(str(secret_env)):
        url = _signed_url(url, os.environ[str(secret_env)])
    data = json.dumps(webhook_payload(fmt, subject, body, urgent), ensure_ascii=False).encode()
    reply = _post(url, data, {"Content-Type": "application/json; charset=utf-8"}, timeout)
    # The robots answer 200 with {"errcode": N, "errmsg": ...}; non-zero is a refusal.
    try:
        parsed = json.loads(reply) if reply else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errcode") not in (None, 0):
        raise DeliveryError(f"robot refused: {parsed.get('errcode')} {parsed.get('errmsg')}")


def _post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> bytes:
    """POST to an http(s) URL the caller checked; the start of the reply."""
    request = urllib.request.Request(  # noqa: S310 - the caller checked the scheme
        url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bytes(response.read(65536))
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"unreachable: {getattr(exc, 'reason', exc)}") from None


def send_platform(config: dict[str, Any], delivery_id: str, body: str, timeout: float) -> None:
    """The body as it is, signed; any 2xx answer is delivered (urllib raises on others)."""
    url = str(config.get("url", ""))
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"platform url must be http(s): {url!r}")
    data = body.encode("utf-8")
    try:
        headers = platform.request_headers(config, delivery_id, data)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
    _post(url, data, headers, timeout)


def send_email(config: dict[str, Any], subject: str, body: str, timeout: float) -> None:
    to = config.get("to") or []
    if isinstance(to, str):
        to = [to]
    if not to:
        raise DeliveryError("email channel has no recipients")
    sender = str(config.get("sender", "aed-tracker@localhost"))
    msg = EmailMessage()
    # A header cannot hold line breaks (the email package refuses the message): names
    # in the subject may contain any, U+2028 included, so each becomes a space.
    msg["Subject"] = " ".join(subject.splitlines())
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "localhost")
    msg.set_content(body, charset="utf-8")
    host = str(config.get("host", "127.0.0.1"))
    port = int(config.get("port", 25))
    try:
        if config.get("ssl"):
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if config.get("starttls"):
                client.starttls(context=ssl.create_default_context())
            user = config.get("username")
            if user:
                client.login(str(user), os.environ.get(str(config.get("password_env", "")), ""))
            client.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"smtp: {exc}") from None


def send(channel: NotificationChannel, subject: str, body: str, urgent: bool,
         timeout: float) -> None:
    if channel.kind == "email":
        send_email(channel.config, subject, body, timeout)
    elif channel.kind == "webhook":
        send_webhook(channel.config, subject, body, urgent, timeout)
    elif channel.kind == platform.KIND:
        send_platform(channel.config, subject, body, timeout)
    else:
        raise DeliveryError(f"unknown channel kind {channel.kind!r}")
