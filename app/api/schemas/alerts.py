"""Alerts and what a signed-in volunteer does with them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.alerts.catalogue import ALERT_STATES, KINDS, SEVERITIES
from app.api.schemas.common import Page, PageQuery, id_ref
from app.api.schemas.fields import Choice, DbId, JsonId, OneOf, Text, Timestamp, comma_separated

#: The stored resolution is cut to its column's size.
RESOLUTION_LENGTH = 200


class AlertQuery(PageQuery):
    status: Annotated[Choice, comma_separated(
        ALERT_STATES, "Comma-separated states.")] | None = None
    severity: Annotated[Choice, comma_separated(
        SEVERITIES, "Comma-separated severities.")] | None = None
    kind: Annotated[Choice, comma_separated(KINDS, "Comma-separated kinds.")] | None = None
    asset_id: DbId | None = Field(None, description="Only this asset.")
    site_id: DbId | None = Field(None, description="Only this site.")


AlertRef = id_ref("alert")


class AlertComment(BaseModel):
    user_id: int | None
    body: str
    created_at: Timestamp


class Alert(BaseModel):
    id: int
    kind: str
    severity: Annotated[str, OneOf(SEVERITIES)]
    status: Annotated[str, OneOf(ALERT_STATES)]
    subject_type: str
    subject_id: str
    asset_id: int | None
    site_id: int | None
    gateway_id: str | None
    title: str = Field(description="What kind of alert, in the caller's language.")
    message: str = Field(description=(
        "What happened, in the caller's language and local time, worded from the kind, "
        "the subject and `detail` (Accept-Language: zh-CN or en)."))
    where: str = Field(description="The site it concerns (empty when it has none).")
    stage: int | None = Field(description="Expiry stage in days (0: expired).")
    detail: dict[str, Any] = Field(description="The facts the alert was raised with.")
    opened_at: Timestamp
    acknowledged_at: Timestamp | None
    acknowledged_by: int | None
    resolved_at: Timestamp | None
    resolved_by: int | None
    resolution: str | None
    comments: list[AlertComment]


class AlertPage(Page[Alert]):
    pass


class Resolution(BaseModel):
    resolution: Text = Field("resolved", description=(
        f"How it was resolved; stored cut to {RESOLUTION_LENGTH} characters."))


class NewComment(BaseModel):
    body: Text = Field(min_length=1, max_length=2000)


class Assignment(BaseModel):
    team_id: JsonId | None = Field(description="The team in charge; null: the site's team.")
    user_id: JsonId | None = Field(None, description="One person of it, optionally.")
