"""The district's structure as a tree: the district Red Cross, its subdistrict branches
(街道红十字会) and the volunteer teams under each, with how many accounts each team has."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Organisation, Team, User


@dataclass
class TeamEntry:
    team: Team
    members: int


@dataclass
class OrganisationNode:
    organisation: Organisation
    teams: list[TeamEntry] = field(default_factory=list)
    branches: list[OrganisationNode] = field(default_factory=list)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, OrganisationNode]]:
        """Every node of the subtree, depth first, with its depth."""
        yield depth, self
        for branch in self.branches:
            yield from branch.walk(depth + 1)


def member_counts(session: Session) -> dict[int, int]:
    """Active accounts per team id."""
    rows = session.execute(select(User.team_id, func.count()).where(
        User.team_id.is_not(None), User.active.is_(True)).group_by(User.team_id))
    return {team_id: count for team_id, count in rows if team_id is not None}


def organisation_tree(session: Session) -> list[OrganisationNode]:
    """The organisations without a parent, each with its branches and teams (in the order they were made);
    a team of no organisation is not in the tree (see ``unplaced_teams``)."""
    nodes = {org.id: OrganisationNode(org) for org in session.scalars(
        select(Organisation).order_by(Organisation.id))}
    counts = member_counts(session)
    for team in session.scalars(select(Team).order_by(Team.id)):
        if team.organisation_id in nodes:
            nodes[team.organisation_id].teams.append(TeamEntry(team, counts.get(team.id, 0)))
    roots: list[OrganisationNode] = []
    for node in nodes.values():
        parent = node.organisation.parent_id
        (nodes[parent].branches if parent in nodes else roots).append(node)
    return roots


def unplaced_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).where(Team.organisation_id.is_(None))
                                .order_by(Team.code)))


def organisation_choices(session: Session) -> list[tuple[int, OrganisationNode]]:
    """Every organisation in tree order with its depth (for "under which branch")."""
    return [entry for root in organisation_tree(session) for entry in root.walk()]
