"""Passwords of accounts: a manager's reset, and a person's own change.

The policy itself (length, scrypt) is app/auth/passwords.py; here it is applied and a
refusal reported against the field. Both paths end the account's other sessions at
once (``session_epoch``) and are audited without the password or its hash.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import audit
from app.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    PasswordPolicyError,
    hash_password,
    verify_password,
)
from app.models import User
from app.people.authority import Manager, may_manage_account
from app.people.invalid import N_, NotAllowed, Problems


def password_hash(password: str, name: str, problems: Problems) -> str | None:
    """The hash of an acceptable password, or None with the problem noted under ``name``."""
    try:
        return hash_password(password)
    except PasswordPolicyError:
        problems.add(name, N_("Use at least %(min)d characters."), min=MIN_PASSWORD_LENGTH)
        return None


def reset_password(session: Session, by: Manager, account: User, password: str,
                   must_change: bool = True) -> None:
    """Give the account a password its owner must change at the next login; every
    session of the account ends now. Its API token is a credential of its own and stays
    (deactivating the account ends it)."""
    if not may_manage_account(by, account):
        raise NotAllowed("this account is not one this person manages")
    problems = Problems()
    hashed = password_hash(password, "password", problems)
    problems.check()
    _set(session, account, hashed, must_change, "password_reset")


def change_own_password(session: Session, account: User, current: str, new: str) -> None:
    """The owner's own change: the current password first, then a new one that is not
    the same. The account's other sessions end; the caller renews its own."""
    problems = Problems()
    if not verify_password(account.password_hash, current):
        problems.add("current_password", N_("This is not your current password."))
    elif verify_password(account.password_hash, new):
        problems.add("new_password", N_("Choose a password other than the current one."))
    hashed = password_hash(new, "new_password", problems)
    problems.check()
    _set(session, account, hashed, False, "password_changed")


def _set(session: Session, account: User, hashed: str | None, must_change: bool,
         action: str) -> None:
    """Store the new hash and end every session of the account (``session_epoch``); the
    audit entry names neither the password nor its hash."""
    assert hashed is not None  # the caller raised the problems of a refused password
    account.password_hash = hashed
    account.must_change_password = must_change
    account.session_epoch += 1
    audit.record(session, action, "user_account", str(account.id), None,
                 {"username": account.username, "must_change_password": must_change,
                  "sessions_ended": True})
    session.flush()
