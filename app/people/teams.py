"""Creating and editing volunteer teams; each stands under an organisation (the
district Red Cross or one of its subdistrict branches)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from sqlalchemy.orm import Session

from app.models import Organisation, Team
from app.people.authority import Manager, may_manage_people
from app.people.contacts import check_contacts
from app.people.invalid import N_, NotAllowed, Problems
from app.people.keys import check_new_key

CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
#: Longest text per field, as the columns hold it.
LIMITS = {"name": 200, "name_en": 200, "leader_name": 100}


@dataclass(frozen=True)
class TeamDraft:
    name: str
    organisation_id: int | None
    name_en: str | None = None
    leader_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None

    @classmethod
    def of(cls, team: Team) -> TeamDraft:
        return cls(**{f.name: getattr(team, f.name) for f in fields(cls)})

    def cleaned(self) -> TeamDraft:
        def text(value: str | None) -> str | None:
            return (value or "").strip() or None

        return TeamDraft(name=self.name.strip(), organisation_id=self.organisation_id,
                         name_en=text(self.name_en), leader_name=text(self.leader_name),
                         contact_phone=text(self.contact_phone),
                         contact_email=text(self.contact_email))


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


def _apply(team: Team, draft: TeamDraft) -> None:
    for f in fields(TeamDraft):
        setattr(team, f.name, getattr(draft, f.name))


def create_team(session: Session, by: Manager, code: str, draft: TeamDraft) -> Team:
    if not may_manage_people(by):
        raise NotAllowed("only administrators and coordinators manage teams")
    code = code.strip()
    draft = draft.cleaned()
    problems = Problems()
    check_new_key(session, problems, "code", code, CODE, Team.code,
                  N_("Use 2 to 64 lower-case letters, digits or dashes, starting with a "
                     "letter or digit."), N_("Another team has this code."))
    _check(session, draft, problems)
    problems.check()
    team = Team(code=code)
    _apply(team, draft)
    session.add(team)
    session.flush()
    return team


def update_team(session: Session, by: Manager, team: Team, draft: TeamDraft) -> bool:
    """False when nothing changed. The code stays: imports and the CLI name teams by it."""
    if not may_manage_people(by):
        raise NotAllowed("only administrators and coordinators manage teams")
    draft = draft.cleaned()
    problems = Problems()
    _check(session, draft, problems)
    problems.check()
    if draft == TeamDraft.of(team):
        return False
    _apply(team, draft)
    session.flush()
    return True
