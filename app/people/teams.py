"""Creating and editing volunteer teams; each stands under an organisation (the
district Red Cross or one of its subdistrict branches)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from app.models import Organisation, Team
from app.people.authority import Manager, may_manage_people
from app.people.contacts import check_contacts
from app.people.drafts import Draft, add_new, optional_text, save_changes
from app.people.invalid import N_, NotAllowed, Problems
from app.people.keys import NewKey

CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
_CODE_KEY = NewKey("code", CODE, Team.code, N_(
    "Use 2 to 64 lower-case letters, digits or dashes, starting with a letter or digit."),
    N_("Another team has this code."))
#: Longest text per field, as the columns hold it.
LIMITS = {"name": 200, "name_en": 200, "leader_name": 100}


@dataclass(frozen=True)
class TeamDraft(Draft):
    name: str
    organisation_id: int | None
    name_en: str | None = None
    leader_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None

    def cleaned(self) -> TeamDraft:
        return replace(self, name=self.name.strip(), name_en=optional_text(self.name_en),
                       leader_name=optional_text(self.leader_name),
                       contact_phone=optional_text(self.contact_phone),
                       contact_email=optional_text(self.contact_email))


def _check(session: Session, draft: TeamDraft, problems: Problems) -> None:
    if not draft.name:
        problems.add("name", N_("Enter the team's name."))
    for name, limit in LIMITS.items():
        value = getattr(draft, name)
        if value is not None and len(value) > limit:
            problems.add(name, N_("At most %(max)d characters."), max=limit)
    if draft.organisation_id is None or session.get(Organisation,
                                                    draft.organisation_id) is None:
        problems.add("organisation_id", N_("Choose the branch the team belongs to."))
    check_contacts(("contact_phone", draft.contact_phone),
                   ("contact_email", draft.contact_email), problems)


def _allowed(by: Manager) -> None:
    if not may_manage_people(by):
        raise NotAllowed("only administrators and coordinators manage teams")


def create_team(session: Session, by: Manager, code: str, draft: TeamDraft) -> Team:
    _allowed(by)
    draft = draft.cleaned()
    problems = Problems()
    code = _CODE_KEY.checked(session, code, problems)
    _check(session, draft, problems)
    problems.check()
    return add_new(session, Team(code=code), draft)


def update_team(session: Session, by: Manager, team: Team, draft: TeamDraft) -> bool:
    """False when nothing changed. The code stays: imports and the CLI name teams by it."""
    _allowed(by)
    draft = draft.cleaned()
    problems = Problems()
    _check(session, draft, problems)
    problems.check()
    return save_changes(session, team, draft)
