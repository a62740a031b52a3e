"""Team challenges: an admin opens one on a sample data set; the bot keeps a hidden test split; every
run on that data while it is open is scored on the hidden split by the worker; a leaderboard (best
run per learner, name and score only) sits in App Home and goes to TUTOR_ANNOUNCE_CHANNEL at the start,
weekly and at the end.

The hidden rows live in one file on the data disk that bot and workers share and are never put in a
message: learners train on `train_path` (the data minus those rows) and only scores come back.
Each announce post is claimed by a row first (unique per challenge and kind) and carries metadata,
so a restart finds a post made just before a crash instead of making it again.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, update

from bot import challenge_views
from bot.clock import Clock, as_utc
from bot.store import Database
from bot.store.db import insert_once, insert_once_key
from bot.store.models import Challenge, ChallengeEntry, ChallengePost, User

METRICS = ("macro_f1", "accuracy")
HIDDEN_FRACTION = 0.2
DEFAULT_DAILY_LIMIT = 3
WEEK = timedelta(days=7)
POST_EVENT = "tutor_challenge_post"
UPLOAD_REFUSED = ("uploaded files never score on a challenge: they could hold the hidden test examples. "
                  "Train on `data={data}` to take part.")
LIMIT_REFUSED = "you have had {limit} scored runs on this challenge today, the daily limit; try again tomorrow (UTC)."


class ChallengeRefused(Exception):
    """A challenge that cannot be opened; the message says what to fix."""


@dataclass
class Entry:
    """What the worker does with a run: train on `train_path` and score it (entered), or only say why not."""

    id: int
    challenge: Challenge
    entered: bool
    reason: str | None = None


@dataclass
class Standing:
    user_id: str
    name: str
    score: float


def parse_new(text: str, samples: dict[str, Path], today: date) -> tuple[str, str, date, int]:
    """`data=support_tickets metric=macro_f1 ends=2026-12-20 [limit=3]` → (data, metric, end day, limit)."""
    words = dict(w.split("=", 1) for w in text.split() if "=" in w)
    unknown = [w for w in text.split() if "=" not in w or w.split("=", 1)[0] not in ("data", "metric", "ends", "limit")]
    if unknown:
        raise ChallengeRefused(f"I did not understand `{challenge_views.clip(unknown[0])}`. Use "
                               "`/finetune challenge new data=support_tickets metric=macro_f1 ends=2026-12-20`.")
    data = words.get("data", "")
    if data not in samples:
        raise ChallengeRefused(f"`data=` must be one of the course's samples: {', '.join(sorted(samples))}.")
    metric = words.get("metric", "macro_f1")
    if metric not in METRICS:
        raise ChallengeRefused(f"`metric=` must be {' or '.join(METRICS)}.")
    ends_text = words.get("ends", "")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", ends_text):
        raise ChallengeRefused("`ends=` must be a date such as 2026-12-20 (the challenge ends at its end, UTC).")
    try:
        ends = date.fromisoformat(ends_text)
    except ValueError:
        raise ChallengeRefused(f"`ends={challenge_views.clip(ends_text)}` is not a date.") from None
    if ends < today:
        raise ChallengeRefused("`ends=` is in the past; pick today or a later day.")
    limit_text = words.get("limit", str(DEFAULT_DAILY_LIMIT))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 50:
        raise ChallengeRefused("`limit=` is the scored runs per learner per day: a number from 1 to 50.")
    return data, metric, ends, int(limit_text)


def hidden_indices(labels: list[str], seed: str, fraction: float = HIDDEN_FRACTION) -> set[int]:
    """A stratified `fraction` of the rows (at least one per class with two or more rows)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    hidden: set[int] = set()
    for label in sorted(by_label):
        rows = by_label[label]
        if len(rows) < 2:
            continue
        rng.shuffle(rows)
        hidden.update(rows[:max(1, round(len(rows) * fraction))])
    return hidden


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


class ChallengeService:
    def __init__(self, db: Database, clock: Clock, *, samples: dict[str, Path], folder: Path,
                 announce_channel: str | None):
        """`samples`: the course's sample files by name; `folder`: where the split files are written (on
        the data disk workers share); `announce_channel`: TUTOR_ANNOUNCE_CHANNEL, or None."""
        self.db, self.clock, self.samples, self.folder = db, clock, samples, folder
        self.announce_channel = announce_channel

    # --- opening -------------------------------------------------------------------------------
    def create(self, team_id: str, user_id: str, text: str) -> Challenge:
        from training.data import load_table  # torch-free: reads the CSV

        now = self.clock.now()
        data, metric, ends, limit = parse_new(text, self.samples, now.date())
        if self.open_for(team_id, data) is not None:
            raise ChallengeRefused(f"A challenge on `{data}` is open already; it ends before another starts.")
        table = load_table(self.samples[data])
        rows = [(t, l) for t, l in zip(table.texts, table.labels) if t and l]
        hidden = hidden_indices([l for _, l in rows], f"{team_id}:{data}:{now.isoformat()}")
        with self.db.session() as session:
            row = Challenge(team_id=team_id, data=data, metric=metric, daily_limit=limit, train_path="",
                            hidden_path="", hidden_count=len(hidden), baselines={}, created_by=user_id,
                            created_at=now, ends_at=datetime.combine(ends, time.max, tzinfo=timezone.utc))
            session.add(row)
            session.flush()
            folder = (self.folder / str(row.id)).resolve()
            _write(folder / "train.csv", [r for i, r in enumerate(rows) if i not in hidden])
            _write(folder / "hidden.csv", [r for i, r in enumerate(rows) if i in hidden])
            row.train_path, row.hidden_path = str(folder / "train.csv"), str(folder / "hidden.csv")
            session.flush()
            session.expunge(row)
        return row

    def get(self, challenge_id: int) -> Challenge | None:
        with self.db.session() as session:
            return session.get(Challenge, challenge_id)

    def open_for(self, team_id: str, data: str) -> Challenge | None:
        with self.db.session() as session:
            return session.scalars(select(Challenge).where(
                Challenge.team_id == team_id, Challenge.data == data, Challenge.ends_at > self.clock.now())
                .order_by(Challenge.id)).first()

    def open_in(self, team_id: str) -> list[Challenge]:
        with self.db.session() as session:
            return list(session.scalars(select(Challenge).where(
                Challenge.team_id == team_id, Challenge.ends_at > self.clock.now()).order_by(Challenge.id)))

    def latest(self, team_id: str, limit: int = 3) -> list[Challenge]:
        """Open challenges, then the most recently ended (for App Home)."""
        with self.db.session() as session:
            return list(session.scalars(select(Challenge).where(Challenge.team_id == team_id)
                                        .order_by(Challenge.ends_at.desc()).limit(limit)))

    # --- runs -----------------------------------------------------------------------------------
    def enter(self, job) -> Entry | None:
        """At the start of a run (on the worker): the challenge it takes part in, or the reason it is not
        scored; None when no open challenge concerns it. Recorded once per run."""
        request = job.request or {}
        now = self.clock.now()
        if request.get("data_kind") == "upload":
            challenges = self.open_in(job.team_id)
            if not challenges:
                return None
            challenge = challenges[0]
            reason = UPLOAD_REFUSED.format(data=challenge.data)
            return self._record(challenge, job, now, "refused", reason)
        if request.get("data_kind") != "sample":
            return None
        challenge = self.open_for(job.team_id, str(request.get("data")))
        if challenge is None:
            return None
        with self.db.session() as session:
            existing = session.scalars(select(ChallengeEntry).where(
                ChallengeEntry.challenge_id == challenge.id, ChallengeEntry.job_id == job.id)).first()
            if existing is not None:
                return Entry(existing.id, challenge, existing.status in ("entered", "scored"), existing.reason)
            today = session.scalar(select(func.count()).select_from(ChallengeEntry).where(
                ChallengeEntry.challenge_id == challenge.id, ChallengeEntry.user_id == job.user_id,
                ChallengeEntry.local_date == now.date().isoformat(),
                ChallengeEntry.status.in_(("entered", "scored"))))
        if today >= challenge.daily_limit:
            return self._record(challenge, job, now, "refused", LIMIT_REFUSED.format(limit=challenge.daily_limit))
        return self._record(challenge, job, now, "entered", None)

    def _record(self, challenge: Challenge, job, now, status: str, reason: str | None) -> Entry:
        with self.db.session() as session:
            key = insert_once_key(session, ChallengeEntry, challenge_id=challenge.id, job_id=job.id,
                                  team_id=job.team_id, user_id=job.user_id, local_date=now.date().isoformat(),
                                  status=status, reason=reason, created_at=now)
            if key is None:
                row = session.scalars(select(ChallengeEntry).where(
                    ChallengeEntry.challenge_id == challenge.id, ChallengeEntry.job_id == job.id)).one()
                return Entry(row.id, challenge, row.status in ("entered", "scored"), row.reason)
        return Entry(key, challenge, status == "entered", reason)

    def record_score(self, entry_id: int, score: float | None) -> None:
        """The hidden-split score of an entered run (None: the run did not finish; it does not count)."""
        with self.db.session() as session:
            session.execute(update(ChallengeEntry).where(ChallengeEntry.id == entry_id).values(
                status="scored" if score is not None else "failed", score=score))

    def set_baselines(self, challenge_id: int, baselines: dict) -> None:
        with self.db.session() as session:
            session.execute(update(Challenge).where(Challenge.id == challenge_id).values(baselines=baselines))

    def refusals(self, team_id: str, user_id: str) -> list[ChallengeEntry]:
        with self.db.session() as session:
            return list(session.scalars(select(ChallengeEntry).where(
                ChallengeEntry.team_id == team_id, ChallengeEntry.user_id == user_id,
                ChallengeEntry.status == "refused").order_by(ChallengeEntry.id)))

    def leaderboard(self, challenge_id: int) -> list[Standing]:
        """Best scored run per learner, best first (ties: who got there first); names from profiles."""
        with self.db.session() as session:
            entries = session.scalars(select(ChallengeEntry).where(
                ChallengeEntry.challenge_id == challenge_id, ChallengeEntry.status == "scored")
                .order_by(ChallengeEntry.id)).all()
            best: dict[str, ChallengeEntry] = {}
            for entry in entries:
                if entry.user_id not in best or entry.score > best[entry.user_id].score:
                    best[entry.user_id] = entry
            names = {u.user_id: u.name for u in session.scalars(select(User).where(
                User.team_id == (entries[0].team_id if entries else ""), User.user_id.in_(list(best))))}
        ordered = sorted(best.values(), key=lambda e: (-e.score, e.id))
        return [Standing(e.user_id, names.get(e.user_id) or e.user_id, float(e.score)) for e in ordered]

    # --- announcements --------------------------------------------------------------------------
    def due_posts(self, challenge: Challenge) -> list[str]:
        now = self.clock.now()
        if now >= as_utc(challenge.ends_at):
            return ["start", "end"]
        weeks = int((now - as_utc(challenge.created_at)) / WEEK)
        return ["start"] + ([f"week-{weeks}"] if weeks >= 1 else [])

    def tick(self, client_for_team) -> int:
        """Post what is due to the announce channel, each once; returns how many were posted. The end
        post is due until made, so a challenge that ended while the bot was down is still announced."""
        if not self.announce_channel:
            return 0
        since = self.clock.now() - timedelta(days=60)
        with self.db.session() as session:
            challenges = list(session.scalars(select(Challenge).where(Challenge.ends_at > since)))
            done = {(p.challenge_id, p.kind) for p in session.scalars(select(ChallengePost).where(
                ChallengePost.message_ts.is_not(None)))}
        posted = 0
        for challenge in challenges:
            for kind in self.due_posts(challenge):
                if (challenge.id, kind) not in done:
                    posted += self._post(client_for_team(challenge.team_id), challenge, kind)
        return posted

    def _post(self, client, challenge: Challenge, kind: str) -> int:
        key = f"{challenge.id}:{kind}"
        with self.db.session() as session:
            claimed = insert_once(session, ChallengePost, challenge_id=challenge.id, kind=kind,
                                  channel=self.announce_channel, claimed_at=self.clock.now())
            row = session.scalars(select(ChallengePost).where(ChallengePost.challenge_id == challenge.id,
                                                              ChallengePost.kind == kind)).one()
        if not claimed:  # claimed before a crash or by the last tick: was it posted?
            from bot.slack import find_posted

            found = find_posted(client, row.channel, POST_EVENT, "key", key, as_utc(row.claimed_at))
            if found is not None:
                self._posted(row.id, found["ts"])
                return 0
        message = challenge_views.announce_message(challenge, kind, self.leaderboard(challenge.id))
        response = client.chat_postMessage(channel=row.channel, **message,
                                           metadata={"event_type": POST_EVENT, "event_payload": {"key": key}})
        self._posted(row.id, response["ts"])
        return 1

    def _posted(self, post_id: int, ts: str) -> None:
        with self.db.session() as session:
            session.execute(update(ChallengePost).where(ChallengePost.id == post_id).values(message_ts=ts))
