"""Responders: trained first-aiders of the programme. Their phone and certificate
number are personal data: coordinators and admins only."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.api.schemas.common import Page, PageQuery, id_ref, personal
from app.api.schemas.fields import DbId, JsonDate, JsonId, OneOf, Text
from app.models import SERVICE_ROLES
from app.training.rules import MAX_CERTIFICATE, MAX_NAME, MAX_PHONE

#: Personal data: only for those who may see it (app.auth.permissions).
PERSONAL_FIELDS = frozenset({"phone", "certificate_number"})
#: Most stations one responder is listed at.
MAX_SITES = 100


class ResponderQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description=(
        "Text in the name (coordinators and admins: also the phone or certificate number)."))
    team_id: DbId | None = Field(None, description="Only this team.")
    organisation_id: DbId | None = Field(None, description="Only this organisation.")
    site_id: DbId | None = Field(None, description="Only those serving this site.")
    course_id: DbId | None = Field(None, description="Only those on this course's list.")
    expiring_within_days: int | None = Field(None, ge=0, le=3650, description=(
        "Only valid certificates that expire within this many days."))


ResponderRef = id_ref("responder")


class ServedSite(BaseModel):
    site_id: JsonId
    role: Annotated[str, OneOf(SERVICE_ROLES)] = Field(description=(
        "guardian (the AED's guardian), station_staff (party-service station staff) or "
        "team_member."))


class Responder(BaseModel, json_schema_extra=personal(PERSONAL_FIELDS)):
    """A responder. The phone and the certificate number are personal data:
    coordinators and admins only. An erased responder has no name and no data."""

    id: int
    name: str | None = Field(description="Null once the responder is erased.")
    phone: str | None
    certificate_number: str | None
    organisation_id: int | None
    team_id: int | None
    certificate_issued_on: JsonDate | None
    certificate_expires_on: JsonDate | None
    certificate_valid: bool = Field(description="Valid today (local day).")
    erased: bool
    courses: list[int] = Field(description="The courses attended, by id.")
    sites: list[ServedSite]


class ResponderPage(Page[Responder]):
    pass


class NewResponder(BaseModel):
    """A certificate without its own expiry lasts CERTIFICATE_VALID_YEARS from its issue."""

    name: Text = Field(max_length=MAX_NAME)
    phone: str | None = Field(None, max_length=MAX_PHONE)
    organisation_id: JsonId | None = None
    team_id: JsonId | None = None
    certificate_number: str | None = Field(None, max_length=MAX_CERTIFICATE)
    certificate_issued_on: JsonDate | None = None
    certificate_expires_on: JsonDate | None = Field(None, description=(
        "Its own expiry; omitted: the issue day plus CERTIFICATE_VALID_YEARS."))
    sites: list[ServedSite] = Field(default_factory=list, max_length=MAX_SITES,
                                    description="The stations served (replaces the list).")


class ResponderChanges(BaseModel):
    """Only the members sent change; null clears one. A new issue day without an expiry
    gives the usual years from it."""

    name: Text | None = Field(None, max_length=MAX_NAME)
    phone: str | None = Field(None, max_length=MAX_PHONE)
    organisation_id: JsonId | None = None
    team_id: JsonId | None = None
    certificate_number: str | None = Field(None, max_length=MAX_CERTIFICATE)
    certificate_issued_on: JsonDate | None = None
    certificate_expires_on: JsonDate | None = None
    sites: list[ServedSite] | None = Field(None, max_length=MAX_SITES)
