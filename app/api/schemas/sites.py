"""Sites: riverside points, service stations, first-aid stations and the like."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.common import Page, PageQuery, id_ref, personal
from app.api.schemas.fields import Choice, DbId, JsonId, Timestamp, comma_separated
from app.api.schemas.registry import HoursCheck, JsonNumber, choice, number, text
from app.models import SITE_KINDS
from app.registry import rules

#: Personal data: only for those who may see it (app.auth.permissions).
CONTACT_FIELDS = rules.PERSONAL_SITE_FIELDS


class SiteQuery(PageQuery):
    kind: Annotated[Choice, comma_separated(SITE_KINDS, "Comma-separated kinds.")] | None = None
    team_id: DbId | None = Field(None, description="Only this team.")
    include_retired: bool = Field(False, description="Retired sites too.")
    q: str | None = Field(None, max_length=100, description="Text in name or id.")


SiteRef = id_ref("site")


class Site(BaseModel, json_schema_extra=personal(CONTACT_FIELDS)):
    """A site. The contact is personal data: coordinators and admins only."""

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
    opening_hours_check: HoursCheck | None = Field(
        description="Whether opening_hours is understood (null when there are none).")
    retired_at: Timestamp | None = Field(description="Closed for good since.")
    retired_reason: str | None


class _SiteFields(BaseModel):
    """A site's fields as sent: a member left out stays as it is (a new site: empty);
    null empties it."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = text(rules.MAX_EXTERNAL_ID,
                                   "Registry id, unique (a new site without one gets one).")
    name_en: str | None = text(rules.MAX_NAME)
    kind: str | None = choice(SITE_KINDS, "Default: other.")
    address: str | None = text(rules.MAX_ADDRESS)
    opening_hours: str | None = text(rules.MAX_HOURS, "OSM opening_hours; a value that is "
                                     "not understood is kept and shows as unknown.")
    team_id: JsonId | None = Field(None, description="The team that looks after it.")
    contact_name: str | None = text(rules.MAX_PERSON, "Personal data.")
    contact_phone: str | None = text(rules.MAX_PHONE, "Personal data.")


class NewSite(_SiteFields):
    """A new site."""

    name: str = Field(description="Name in Chinese.",
                      json_schema_extra={"maxLength": rules.MAX_NAME, "pattern": r"\S"})
    lat: JsonNumber = Field(description="WGS-84.",
                            json_schema_extra={"minimum": -90, "maximum": 90})
    lon: JsonNumber = Field(description="WGS-84.",
                            json_schema_extra={"minimum": -180, "maximum": 180})


class SiteChanges(_SiteFields):
    """What to change of a site: only the members sent."""

    name: str | None = text(rules.MAX_NAME, "Name in Chinese.", required=True)
    lat: JsonNumber | None = number(-90, 90, "WGS-84.")
    lon: JsonNumber | None = number(-180, 180, "WGS-84.")


class SitePage(Page[Site]):
    pass
