"""Station gateways: the small Linux boxes that report over MQTT."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.api.schemas.common import Page, PageQuery, PathRef
from app.api.schemas.fields import Choice, DbId, Timestamp, comma_separated

GATEWAY_STATES = ("online", "offline", "stopped", "unknown")


class GatewayQuery(PageQuery):
    state: Annotated[Choice, comma_separated(
        GATEWAY_STATES, "Comma-separated states.")] | None = None
    site_id: DbId | None = Field(None, description="Only this site.")


class GatewayRef(PathRef):
    noun = "gateway"
    gateway_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")


class Gateway(BaseModel):
    id: str
    site_id: int | None
    name: str | None
    state: str
    state_ts: Timestamp | None
    last_seen_at: Timestamp | None
    agent_version: str | None
    outbox_depth: int | None
    report_interval_s: int
    revoked: bool
    desired_config_version: int
    reported_config_version: int | None


class GatewayPage(Page[Gateway]):
    pass
