"""Deactivating an account ends every way in at once: its sessions (``session_epoch``:
each request compares the cookie's epoch with the account's) and its API token
(revoked: a request with it finds no account). Reactivating lets its owner log in
again with their password; a token must be issued anew. Nothing is deleted: the
account's history and audit trail stay."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import audit
from app.auth.tokens import revoke_token
from app.models import User
from app.people.authority import Manager, may_manage_account
from app.people.invalid import NotAllowed


def set_active(session: Session, by: Manager, account: User, active: bool) -> bool:
    """False when the account already was so (nothing written)."""
    if not may_manage_account(by, account):
        raise NotAllowed("this account is not one this person manages")
    if account.active == active:
        return False
    account.active = active
    detail: dict[str, object] = {"username": account.username}
    if not active:
        detail["token_revoked"] = account.api_token_hash is not None
        detail["sessions_ended"] = True
        account.session_epoch += 1
        revoke_token(account)
    audit.record(session, "account_reactivated" if active else "account_deactivated",
                 "user_account", str(account.id), None, detail)
    session.flush()
    return True
