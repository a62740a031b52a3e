"""Block Kit for challenges: the leaderboard (App Home, `/finetune challenge`, announce posts) and the
notes a learner gets about a run in a challenge. Only names and scores of others are ever shown."""

from __future__ import annotations

from bot.blocks import context, divider, header, message, section
from bot.clock import as_utc
from bot.slack import escape

METRIC_NAMES = {"macro_f1": "macro-F1", "accuracy": "accuracy"}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def clip(text: str, limit: int = 40) -> str:
    return escape(text[:limit])


def metric_name(challenge) -> str:
    return METRIC_NAMES.get(challenge.metric, challenge.metric)


def title(challenge) -> str:
    return (f"🏆 Challenge #{challenge.id}: best {metric_name(challenge)} on `{escape(challenge.data)}` "
            f"(ends {as_utc(challenge.ends_at).date().isoformat()})")


def board_lines(challenge, standings) -> list[str]:
    """Learners best first, with the baselines on the hidden split as reference lines where they fall."""
    refs = []
    for key, label in (("majority", "majority class"), ("tfidf_logreg", "TF-IDF baseline")):
        score = ((challenge.baselines or {}).get(key) or {}).get(challenge.metric)
        if isinstance(score, (int, float)):
            refs.append((float(score), f"┈┈ _{label}: {score:.3f}_ ┈┈"))
    lines, rank = [], 0
    refs.sort(key=lambda r: -r[0])
    for standing in standings:
        while refs and refs[0][0] > standing.score:
            lines.append(refs.pop(0)[1])
        rank += 1
        lines.append(f"{MEDALS.get(rank, f'{rank}.')} {escape(standing.name)} — *{standing.score:.3f}*")
    lines.extend(r[1] for r in refs)
    return lines


def leaderboard_blocks(challenge, standings) -> list[dict]:
    lines = board_lines(challenge, standings)
    body = "\n".join(lines) if standings else "No scored runs yet. " + "\n".join(lines)
    return [section(f"*{title(challenge)}*\n{body}"),
            context(f"Scored on {challenge.hidden_count} hidden test examples the bot keeps; train with "
                    f"`/finetune data={escape(challenge.data)}` (up to {challenge.daily_limit} scored runs a day; "
                    "uploads never score).")]


def home_blocks(boards) -> list[dict]:
    """App Home's challenges section: `boards` is [(challenge, standings)]."""
    if not boards:
        return []
    blocks = [divider(), header("Challenges")]
    for challenge, standings in boards:
        blocks.extend(leaderboard_blocks(challenge, standings))
    return blocks


def announce_message(challenge, kind: str, standings) -> dict:
    opener = {"start": "A new challenge is open! Fine-tune on the data below; the bot scores every run on a "
                       "hidden test split.",
              "end": "The challenge is over. Final standings:"}.get(kind, "This week's standings:")
    return message(f"Challenge #{challenge.id} on {challenge.data}: {kind}",
                   [section(opener)] + leaderboard_blocks(challenge, standings))


def list_message(boards) -> dict:
    if not boards:
        return message("No challenges", [section("No challenge is open. An admin opens one with "
                                                 "`/finetune challenge new data=support_tickets metric=macro_f1 "
                                                 "ends=2026-12-20`.")])
    blocks = []
    for challenge, standings in boards:
        blocks.extend(leaderboard_blocks(challenge, standings))
    return message("Challenges", blocks)


def scored_message(challenge, job_id: int, score: float, rank: int | None, learners: int) -> dict:
    place = f" You are *#{rank}* of {learners} on the leaderboard." if rank else ""
    return message(f"Challenge #{challenge.id}: run #{job_id} scored {score:.3f}",
                   [section(f"🏆 Run #{job_id} scored *{metric_name(challenge)} {score:.3f}* on challenge "
                            f"#{challenge.id}'s hidden test split.{place}")])


def refused_message(challenge, job_id: int, reason: str) -> dict:
    return message(f"Run #{job_id} is not scored on challenge #{challenge.id}",
                   [section(f"ℹ️ Run #{job_id} is not scored on challenge #{challenge.id}: {reason}")])
