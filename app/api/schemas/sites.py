"""Sites: riverside points, service stations, first-aid stations and the like."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.common import (
    Choice,
    DbId,
    Page,
    PageQuery,
    PathRef,
    among,
    comma_separated,
    omitted_when,
)
from app.models import SITE_KINDS

#: Personal data: only for those who may see it (app.auth.permissions).
CONTACT_FIELDS = frozenset({"contact_name", "contact_phone"})


class SiteQuery(PageQuery):
    kind: Annotated[Choice, comma_separated(SITE_KINDS, "Comma-separated kinds.")] | None = None
    team_id: DbId | None = Field(None, description="Only this team.")
    q: str | None = Field(None, max_length=100, description="Text in name or id.")


class SiteRef(PathRef):
    noun = "site"
    site_id: DbId


class Site(BaseModel):
    """A site. The contact is personal data: coordinators and admins only."""

    model_config = ConfigDict(json_schema_extra=omitted_when(
        "Coordinators and admins only.", among(CONTACT_FIELDS)))

    id: int
    external_id: str
    name: str
    name_en: str | None
    kind: str
    address: str | None
    lat: float
    lon: float
    opening_hours: str | None
    team_id: int | None
    organisation_id: int | None
    is_fictional: bool
    contact_name: str | None
    contact_phone: str | None


class SitePage(Page[Site]):
    pass
