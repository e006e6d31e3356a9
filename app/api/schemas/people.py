"""Accounts, teams and organisations, for coordinators and administrators.

No answer carries a password, its hash or an API token: an account says only whether
it has a token. Write bodies check JSON's own types here (400); what a value may be
(a free username, a known team, the password policy, a role this caller may give) is
the one check of app/people, answered with 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.api.schemas.common import Page, PageQuery, id_ref, personal
from app.api.schemas.fields import Choice, DbId, JsonId, OneOf, Timestamp, comma_separated
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.i18n import SUPPORTED_LOCALES
from app.models import ROLES
from app.people.accounts import MAX_DISPLAY_NAME, USERNAME
from app.people.contacts import MAX_EMAIL, PHONE
from app.people.teams import CODE, LIMITS

#: Personal data: only for those who may see it (app.auth.permissions).
ACCOUNT_PERSONAL = frozenset({"email", "phone"})
TEAM_PERSONAL = frozenset({"contact_phone", "contact_email"})

#: The paths of one account and of one team.
UserRef, TeamRef = id_ref("user"), id_ref("team")


def _documented(description: str | None = None, **limits: Any) -> Any:
    """An optional member whose limits the document states and app/people enforces."""
    return Field(None, description=description, json_schema_extra=limits)


class UserQuery(PageQuery):
    role: Annotated[Choice, comma_separated(ROLES, "Comma-separated roles.")] | None = None
    team_id: DbId | None = Field(None, description="Only this team's accounts.")
    active: bool | None = Field(None, description="Only active (true) or deactivated (false).")
    q: str | None = Field(None, max_length=100, description="Text in username or name.")


class User(BaseModel, json_schema_extra=personal(ACCOUNT_PERSONAL)):
    """An account. Its e-mail and phone are personal data: coordinators and admins only."""

    id: int
    username: str
    display_name: str
    role: Annotated[str, OneOf(ROLES)]
    team_id: int | None
    email: str | None
    phone: str | None
    locale: str | None
    active: bool
    must_change_password: bool = Field(description=(
        "The password was chosen by someone else; a browser reaches only the change page "
        "until its owner picks their own."))
    has_api_token: bool
    created_at: Timestamp


class UserPage(Page[User]):
    pass


class AccountFields(BaseModel):
    """What a manager sets on an account."""

    display_name: str | None = _documented(maxLength=MAX_DISPLAY_NAME, pattern=r"\S")
    role: str | None = _documented(
        "A coordinator may give only volunteer and viewer.", enum=list(ROLES))
    team_id: JsonId | None = Field(None, description="A volunteer needs one.")
    email: str | None = _documented(maxLength=MAX_EMAIL)
    phone: str | None = _documented(pattern=f"^{PHONE.pattern}$")
    locale: str | None = _documented(enum=list(SUPPORTED_LOCALES))


class NewUser(AccountFields):
    username: str = Field(json_schema_extra={"pattern": f"^{USERNAME.pattern}$"})
    display_name: str = Field(json_schema_extra={"maxLength": MAX_DISPLAY_NAME,
                                                 "pattern": r"\S"})
    role: str = Field(description="A coordinator may give only volunteer and viewer.",
                      json_schema_extra={"enum": list(ROLES)})
    password: str = Field(
        description="A first password, which its owner must change at their first login.",
        json_schema_extra={"minLength": MIN_PASSWORD_LENGTH})


class UserChange(AccountFields):
    """The members given replace the account's; the others stay."""


class PasswordReset(BaseModel):
    password: str = Field(
        description="Its owner must change it at the next login; their sessions end now.",
        json_schema_extra={"minLength": MIN_PASSWORD_LENGTH})


class TeamQuery(PageQuery):
    organisation_id: DbId | None = Field(None, description="Only this organisation's teams.")


class _Unit(BaseModel):
    """What names a team or an organisation: the code imports and the command line use,
    the Chinese name and the English one."""

    id: int
    code: str
    name: str
    name_en: str | None


class Team(_Unit, json_schema_extra=personal(TEAM_PERSONAL)):
    """A volunteer team. Its contact is personal data: coordinators and admins only."""

    organisation_id: int | None
    leader_name: str | None
    contact_phone: str | None
    contact_email: str | None
    members: int = Field(ge=0, description="Active accounts in the team.")


class TeamPage(Page[Team]):
    pass


class TeamFields(BaseModel):
    name: str | None = _documented(maxLength=LIMITS["name"], pattern=r"\S")
    name_en: str | None = _documented(maxLength=LIMITS["name_en"])
    organisation_id: JsonId | None = Field(None, description="The branch it stands under.")
    leader_name: str | None = _documented(maxLength=LIMITS["leader_name"])
    contact_phone: str | None = _documented(pattern=f"^{PHONE.pattern}$")
    contact_email: str | None = _documented(maxLength=MAX_EMAIL)


class NewTeam(TeamFields):
    code: str = Field(description="Fixed once made: imports and the command line use it.",
                      json_schema_extra={"pattern": f"^{CODE.pattern}$"})
    name: str = Field(json_schema_extra={"maxLength": LIMITS["name"], "pattern": r"\S"})
    organisation_id: JsonId = Field(description="The branch it stands under.")


class TeamChange(TeamFields):
    """The members given replace the team's; the others stay."""


class Organisation(_Unit):
    level: str = Field(description="district or subdistrict")
    parent_id: int | None


class OrganisationPage(Page[Organisation]):
    pass
