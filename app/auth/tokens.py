"""API tokens: shown once, stored only as a SHA-256 hash (they are long random
secrets, so a fast hash is enough and lets a lookup use the unique index)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from app.models import User

TOKEN_PREFIX = "aed_"  # noqa: S105 - a label, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User) -> str:
    """Give `user` a new token (replacing any old one) and return it in clear, once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = hash_token(token)
    session.flush()
    return token


def revoke_token(user: User) -> None:
    user.api_token_hash = None


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
