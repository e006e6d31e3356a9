"""Mosquitto dynamic-security documents: the bootstrap file and per-gateway commands.

Pure functions, no network: broker_admin.py sends the commands, the CLI writes the file.
Mosquitto 2.0's dynamic-security ACLs have no %u/%c substitution, so every gateway gets
its own role naming its own topics literally. Gateway ids are `[A-Za-z0-9_-]{1,64}`
(checked here again), so an id can never smuggle a `+`/`#` wildcard into a role.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from device_agent.protocol import is_valid_id

ADMIN_ROLE = "aed-admin"
INGEST_ROLE = "aed-ingest"
GATEWAY_ROLE_PREFIX = "aed-gw-"
INGEST_SHARE_GROUP = "ingest"
# The plugin's own default for clients created over the control topic. Passwords are
# 256-bit random tokens, so the work factor is not what protects them.
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12


@dataclass(frozen=True)
class Account:
    username: str
    password: str

    @classmethod
    def generate(cls, username: str) -> Account:
        return cls(username, new_password())


def new_password() -> str:
    return secrets.token_urlsafe(32)


def check_gateway_id(gateway_id: str) -> str:
    if not is_valid_id(gateway_id):
        raise ValueError(f"not a valid gateway id (letters, digits, _ and -): {gateway_id!r}")
    return gateway_id


def default_client_id(gateway_id: str) -> str:
    """The agent's own default (device_agent config: aed-agent-{gateway_id})."""
    return f"aed-agent-{gateway_id}"


def gateway_role(gateway_id: str) -> str:
    return GATEWAY_ROLE_PREFIX + check_gateway_id(gateway_id)


def _acl(acltype: str, topic: str, allow: bool = True, priority: int = 0) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "allow": allow, "priority": priority}


# What the server sends a gateway: its desired config and its end-to-end acks.
SERVER_TO_GATEWAY = ("config", "ack")


def gateway_acls(gateway_id: str, topic_root: str) -> list[dict[str, Any]]:
    base = f"{topic_root}/gw/{check_gateway_id(gateway_id)}"
    # Higher priority is checked first: config and ack are the server's to write.
    return [
        *(_acl("publishClientSend", f"{base}/{kind}", allow=False, priority=10)
          for kind in SERVER_TO_GATEWAY),
        _acl("publishClientSend", f"{base}/#"),
        *(_acl(acltype, f"{base}/{kind}") for kind in SERVER_TO_GATEWAY
          for acltype in ("subscribePattern", "publishClientReceive", "unsubscribePattern")),
    ]


def ingest_acls(topic_root: str) -> list[dict[str, Any]]:
    return [
        _acl("subscribePattern", f"{topic_root}/#"),
        _acl("subscribePattern", f"$share/{INGEST_SHARE_GROUP}/{topic_root}/#"),
        _acl("unsubscribePattern", f"{topic_root}/#"),
        _acl("unsubscribePattern", f"$share/{INGEST_SHARE_GROUP}/{topic_root}/#"),
        _acl("publishClientReceive", f"{topic_root}/#"),
        # The server writes desired configs (retained) and acks, and nothing else.
        *(_acl("publishClientSend", f"{topic_root}/gw/+/{kind}") for kind in SERVER_TO_GATEWAY),
    ]


def _acl_key(acl: dict[str, Any]) -> tuple[str, str]:
    return str(acl.get("acltype")), str(acl.get("topic"))


def missing_acls(have: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ACLs of `want` that `have` lacks (by type and topic; `have` wins on a clash)."""
    present = {_acl_key(a) for a in have}
    return [a for a in want if _acl_key(a) not in present]


def wanted_role_acls(rolename: str, topic_root: str) -> list[dict[str, Any]] | None:
    """The ACLs this version gives a role of ours, or None for a role that is not ours."""
    if rolename == INGEST_ROLE:
        return ingest_acls(topic_root)
    if rolename.startswith(GATEWAY_ROLE_PREFIX):
        gateway_id = rolename[len(GATEWAY_ROLE_PREFIX):]
        return gateway_acls(gateway_id, topic_root) if is_valid_id(gateway_id) else None
    return None


def upgrade_document(document: dict[str, Any], topic_root: str) -> int:
    """Add what a dynamic-security file made by an older version lacks (the ack topic)
    to the roles of ours, in place; returns how many ACLs were added. Only while the
    broker is stopped: the plugin rewrites the file on every change."""
    added = 0
    for role in document.get("roles", []):
        want = wanted_role_acls(str(role.get("rolename", "")), topic_root)
        if want is None:
            continue
        extra = missing_acls(role.setdefault("acls", []), want)
        role["acls"].extend(extra)
        added += len(extra)
    return added


def add_role_acl_commands(rolename: str, acls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For a live broker: the addRoleACL commands that give `rolename` these ACLs."""
    return [{"command": "addRoleACL", "rolename": rolename, **acl} for acl in acls]


def admin_acls() -> list[dict[str, Any]]:
    return [
        _acl("publishClientSend", "$CONTROL/dynamic-security/#"),
        _acl("publishClientReceive", "$CONTROL/dynamic-security/#"),
        _acl("subscribePattern", "$CONTROL/dynamic-security/#"),
    ]


def hashed_password(password: str, salt: bytes | None = None) -> dict[str, Any]:
    """The plugin's stored form: PBKDF2-HMAC-SHA512 over the raw salt, base64 fields."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS)
    return {
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": PBKDF2_ITERATIONS,
    }


@dataclass(frozen=True)
class GatewayAccount:
    account: Account  # username = gateway id
    client_id: str


def bootstrap_config(
    admin: Account, ingest: Account, topic_root: str, gateways: Sequence[GatewayAccount] = ()
) -> dict[str, Any]:
    """A dynamic-security file: admin and ingest accounts, optionally some gateways."""

    def client(account: Account, role: str, text: str) -> dict[str, Any]:
        return {"username": account.username, "textName": text,
                **hashed_password(account.password), "roles": [{"rolename": role}]}

    gateway_clients = [
        {**client(g.account, gateway_role(g.account.username),
                  f"AED gateway {g.account.username}"), "clientid": g.client_id}
        for g in gateways
    ]
    return {
        "clients": [
            client(admin, ADMIN_ROLE, "AED tracker: broker administration"),
            client(ingest, INGEST_ROLE, "AED tracker: ingest and config push"),
            *gateway_clients,
        ],
        "groups": [],
        "roles": [
            {"rolename": ADMIN_ROLE, "acls": admin_acls()},
            {"rolename": INGEST_ROLE, "acls": ingest_acls(topic_root)},
            *({"rolename": gateway_role(g.account.username),
               "acls": gateway_acls(g.account.username, topic_root)} for g in gateways),
        ],
        # Deny by default, in both directions: only roles open anything.
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": False,
            "subscribe": False,
            "unsubscribe": False,
        },
    }


def create_gateway_commands(
    gateway_id: str, password: str, client_id: str, topic_root: str
) -> list[dict[str, Any]]:
    role = gateway_role(gateway_id)
    return [
        {"command": "createRole", "rolename": role, "acls": gateway_acls(gateway_id, topic_root)},
        {
            "command": "createClient",
            "username": gateway_id,
            "password": password,
            # Bound client id: the account cannot log in under any other id, so it cannot
            # take over (disconnect) another gateway's session.
            "clientid": client_id,
            "textName": f"AED gateway {gateway_id}",
            "roles": [{"rolename": role}],
        },
    ]


def delete_gateway_commands(gateway_id: str) -> list[dict[str, Any]]:
    # deleteClient disconnects a connected client at once.
    return [
        {"command": "deleteClient", "username": check_gateway_id(gateway_id)},
        {"command": "deleteRole", "rolename": gateway_role(gateway_id)},
    ]


def set_password_commands(gateway_id: str, password: str) -> list[dict[str, Any]]:
    username = check_gateway_id(gateway_id)
    # Disable + enable drops a session that logged in with the old password.
    return [
        {"command": "setClientPassword", "username": username, "password": password},
        {"command": "disableClient", "username": username},
        {"command": "enableClient", "username": username},
    ]
