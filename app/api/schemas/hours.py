"""The access-hours check of the registry editor."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.api.schemas.fields import Timestamp
from app.registry import rules


class HoursCheckQuery(BaseModel):
    value: str = Field("", max_length=rules.MAX_HOURS,
                       description="An OSM opening_hours value, e.g. Mo-Fr 08:00-18:00.")


class HoursPreview(BaseModel):
    value: str = Field(description="The value as checked (trimmed).")
    valid: bool = Field(description="Understood (an empty value is: it means unknown).")
    reason: str | None = Field(description="Why not, when not.")
    open: bool | None = Field(description="Open now; null when unknown.")
    opens_at: Timestamp | None = Field(description="Next opening, in local time.")
    closes_at: Timestamp | None = Field(description="Next closing, in local time.")
    text: str = Field(description="One line for the reader, in their language.")
    timezone: str = Field(description="The local time zone (TIMEZONE).")
