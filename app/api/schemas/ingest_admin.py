"""What ingest could not store normally: dead letters and quarantined messages."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from app.api.schemas.common import Page, PageQuery
from app.api.schemas.fields import Timestamp


class RejectedQuery(PageQuery):
    gateway_id: str | None = Field(None, max_length=100, description="Gateway.")
    reason: str | None = Field(None, max_length=40, description="Reason code.")


class TextPreview(BaseModel):
    """The payload's start, as text."""

    text: str
    truncated: bool


class Base64Preview(BaseModel):
    """The payload's start, base64: it was no UTF-8."""

    base64: str
    truncated: bool


class DeadLetter(BaseModel):
    id: int
    received_at: Timestamp
    topic: str
    gateway_id: str | None
    reason: str
    detail: str
    size: int
    payload: TextPreview | Base64Preview


class Quarantined(BaseModel):
    id: int
    received_at: Timestamp
    topic: str
    gateway_id: str
    device_id: str | None
    msg_id: str | None
    reason: str
    count: int
    payload: dict[str, Any]


Rejected = TypeVar("Rejected", DeadLetter, Quarantined)


class RejectedPage(Page[Rejected], Generic[Rejected]):
    """A page, with how many rows of all there are for each reason."""

    counts_by_reason: dict[str, int]


class DeadLetterPage(RejectedPage[DeadLetter]):
    pass


class QuarantinePage(RejectedPage[Quarantined]):
    pass
