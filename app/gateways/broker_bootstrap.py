"""The broker's first dynamic-security file, and the account URLs that go with it."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from app.gateways import dynsec
from app.gateways.broker_admin import BrokerAccounts, account_url


def write_secret(path: Path, text: str) -> None:
    """Create `path` readable by its owner only, before any secret is in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    path.chmod(0o600)


def write_bootstrap(
    dynsec_file: Path,
    accounts_file: Path,
    host: str,
    port: int,
    topic_root: str,
    gateways: Sequence[dynsec.GatewayAccount] = (),
) -> BrokerAccounts:
    """New admin and ingest accounts (and `gateways`) in a fresh dynamic-security file."""
    admin = dynsec.Account.generate("aed-admin")
    ingest = dynsec.Account.generate("aed-ingest")
    document = dynsec.bootstrap_config(admin, ingest, topic_root, gateways)
    write_secret(dynsec_file, json.dumps(document, indent=1))
    accounts = BrokerAccounts(
        account_url(host, port, admin.username, admin.password),
        account_url(host, port, ingest.username, ingest.password),
    )
    write_secret(accounts_file, accounts.to_json())
    return accounts
