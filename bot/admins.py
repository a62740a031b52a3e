"""Who counts as an admin by configuration (`TUTOR_ADMINS`), besides Slack's own admins and owners.

Format: groups separated by `;`, each `[TEAM_ID:]USER_ID[,USER_ID...]`. A group with a team id
applies to that workspace only (`T012AB:U1,U2;T034CD:U3`); a group without one applies to every
workspace, which is what a single-workspace install wants (`U1,U2`, the old format). In OAuth mode
(several workspaces) a bare id would be an admin in every workspace that installs the app, so give
the team id there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_USER = re.compile(r"^[UW][A-Z0-9]+$")
_TEAM = re.compile(r"^[TE][A-Z0-9]+$")


@dataclass(frozen=True)
class Admins:
    everywhere: frozenset[str] = field(default_factory=frozenset)
    by_team: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (team id, user id)

    def is_admin(self, team_id: str | None, user_id: str) -> bool:
        return user_id in self.everywhere or (team_id, user_id) in self.by_team

    def __bool__(self) -> bool:
        return bool(self.everywhere or self.by_team)


def parse_admins(raw: str | None) -> Admins:
    """`Admins` from the variable's value; ValueError (one line, saying what is wrong) on a bad entry."""
    everywhere, by_team = set(), set()
    for group in (raw or "").split(";"):
        if not group.strip():
            continue
        team, _, users = group.rpartition(":")
        team = team.strip()
        if team and not _TEAM.match(team):
            raise ValueError(f"{team!r}, which is not a Slack team id like T012ABCDEF (format: T012AB:U1,U2;T034CD:U3)")
        for user in (u.strip() for u in users.split(",")):
            if not user:
                continue
            if not _USER.match(user):
                raise ValueError(f"{user!r}, which is not a Slack user id like U012ABCDEF")
            if team:
                by_team.add((team, user))
            else:
                everywhere.add(user)
    return Admins(frozenset(everywhere), frozenset(by_team))
