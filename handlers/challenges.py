"""`/finetune challenge` (dispatched from `handlers.finetune`): the open challenges' leaderboards, and
`/finetune challenge new data=… metric=… ends=…` for admins."""

from __future__ import annotations

from bot import challenge_views
from bot.services.challenges import ChallengeRefused


def boards(services, team_id: str, challenges) -> list:
    return [(c, services.challenges.leaderboard(c.id)) for c in challenges]


def challenge_reply(services, team_id: str, user_id: str, rest: str) -> dict:
    """The reply (message arguments) to `/finetune challenge [new …]`."""
    word = rest.split(maxsplit=1)[0].lower() if rest else ""
    if word != "new":
        return challenge_views.list_message(boards(services, team_id, services.challenges.open_in(team_id)))
    if not services.users.is_admin(team_id, user_id):
        return {"text": "Only the workspace's admins can open a challenge."}
    try:
        challenge = services.challenges.create(team_id, user_id, rest[len(word):].strip())
    except ChallengeRefused as refused:
        return {"text": f"⚠️ {refused}"}
    note = ("It is announced in the announce channel within a minute." if services.settings.announce_channel
            else "Set TUTOR_ANNOUNCE_CHANNEL to announce challenges in a channel.")
    return {"text": f"🏆 Challenge #{challenge.id} is open: {challenge.hidden_count} examples of "
                    f"`{challenge.data}` are kept hidden for scoring. {note}"}


def home_blocks(services, team_id: str) -> list[dict]:
    return challenge_views.home_blocks(boards(services, team_id, services.challenges.latest(team_id)))
