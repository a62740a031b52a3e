"""Ask the tutor, as a service: answers (`bot.tutor.answer.Tutor`), the questions table, 👍/👎, rate
limits, and the way a question the course does not cover goes to the admins and their reply back."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select

from bot.clock import Clock
from bot.services.ratelimit import RateLimiter
from bot.store import Database
from bot.store.models import TutorQuestion
from bot.tutor.runs import RunFacts, run_facts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AskContext:
    """What a question is about: a lesson (asked under its page) or one of the asker's runs."""

    lesson: str | None = None
    job: int | None = None


class TutorService:
    def __init__(self, db: Database, clock: Clock, content_dir: Path, index_dir: Path, *,
                 limit: RateLimiter, admins, questions_channel: str | None, next_lesson, jobs,
                 writer=None, thinking_after: float = 1.0):
        self.db, self.clock = db, clock
        self.content_dir, self.index_dir = content_dir, index_dir
        self.limit = limit
        self.notice_limit = RateLimiter(1)  # one "slow down" reply a minute, not one per refused question
        self.admins, self.questions_channel = admins, questions_channel
        self.next_lesson = next_lesson  # (team, user) -> lesson id | None
        self.jobs = jobs  # JobService: a question about a run reads the run's result
        self.writer = writer  # bot.tutor.llm.AnswerWriter when TUTOR_LLM_* are set: generated answers
        self.thinking_after = thinking_after  # seconds before a "thinking…" message is posted
        self._tutor = None
        self._lock = threading.Lock()

    @property
    def tutor(self):
        """The index, opened on first use (a second or so), so that a process that is never asked a
        question never reads it."""
        with self._lock:
            if self._tutor is None:
                from bot.tutor.answer import open_tutor

                self._tutor = open_tutor(self.content_dir, self.index_dir)
            return self._tutor

    def warm(self) -> threading.Thread:
        """Open the index in the background (the bot's start), so the first question is answered fast."""
        def run():
            try:
                self.tutor
            except Exception:  # noqa: BLE001 - the first question tries again and reports it
                log.warning("could not open the tutor's index at start", exc_info=True)

        thread = threading.Thread(target=run, name="tutor-warm", daemon=True)
        thread.start()
        return thread

    def context_of(self, client, team_id: str, user_id: str, channel: str, thread_ts: str) -> AskContext:
        """What a question in the thread under `thread_ts` is about: the asker's run whose message or
        result that is, or the lesson whose page it is (read from the parent's "Ask about this" button),
        else nothing. Best effort: a Slack error means no context, never a failed answer."""
        from bot.actions import AskAbout

        job = self.jobs.by_message(team_id, user_id, channel, thread_ts)
        if job is not None:
            return AskContext(job=job)
        try:
            page = client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
        except Exception as error:  # noqa: BLE001 - SlackApiError or network: answer without context
            log.info("no thread parent for %s/%s: %r", channel, thread_ts, error)
            return AskContext()
        parent = next((m for m in page.get("messages") or [] if m.get("ts") == thread_ts), None)
        for block in (parent or {}).get("blocks") or []:
            for element in block.get("elements") or [] if block.get("type") == "actions" else []:
                if element.get("action_id") != AskAbout.ACTION:
                    continue
                click = AskAbout.decode(element)
                if click is None or click.owner != user_id:
                    return AskContext()
                return self.context_for(team_id, user_id, click.lesson, click.job)
        return AskContext()

    def context_for(self, team_id: str, user_id: str, lesson: str | None, job: int | None) -> AskContext:
        """An "Ask about this" context, checked: the run must be the asker's own."""
        if job:
            row = self.jobs.get(job)
            if row is not None and row.team_id == team_id and row.user_id == user_id:
                return AskContext(job=row.id)
            return AskContext()
        return AskContext(lesson=lesson or None)

    def ask(self, team_id: str, user_id: str, text: str, *, channel: str | None, thread_ts: str | None,
            lesson: str | None = None, job: int | None = None):
        """The answer and the stored question's id (0 for an empty question, which is not stored). With
        `job` (one of the asker's runs) the answer starts from the run's numbers; with `lesson` it
        prefers that lesson's passages."""
        facts = RunFacts()
        if job:
            row = self.jobs.get(job)
            if row is not None and row.team_id == team_id and row.user_id == user_id:
                facts = run_facts(row.id, row.result)
        answer = self.tutor.ask(text, lesson=lesson, next_lesson=self.next_lesson(team_id, user_id),
                                run_facts=facts.facts or None, run_terms=facts.terms)
        if self.writer is not None:
            answer = self.writer.write(text, answer)
        if answer.kind == "empty":
            return answer, 0
        with self.db.session() as session:
            row = TutorQuestion(team_id=team_id, user_id=user_id, channel=channel, thread_ts=thread_ts,
                                text=text[:40_000], in_scope=answer.in_scope,
                                citations=[c.to_dict() for c in answer.citations], created_at=self.clock.now())
            session.add(row)
            session.commit()
            return answer, row.id

    def answered(self, question_id: int, answer_ts: str | None) -> None:
        with self.db.session() as session:
            row = session.get(TutorQuestion, question_id)
            if row is not None:
                row.answer_ts = answer_ts
                session.commit()

    def get(self, question_id: int) -> TutorQuestion | None:
        with self.db.session() as session:
            return session.get(TutorQuestion, question_id)

    def feedback(self, question_id: int, team_id: str, user_id: str, helpful: str) -> bool:
        with self.db.session() as session:
            row = session.get(TutorQuestion, question_id)
            if row is None or row.user_id != user_id or row.team_id != team_id:
                return False
            row.feedback = helpful
            session.commit()
            return True

    def admin_targets(self, team_id: str) -> list[str]:
        """Where a question goes: TUTOR_QUESTIONS_CHANNEL, else each admin of TUTOR_ADMINS for this team."""
        if self.questions_channel:
            return [self.questions_channel]
        users = set(self.admins.everywhere) | {u for t, u in self.admins.by_team if t == team_id}
        return sorted(users)

    def escalated(self, question_id: int, channel: str, ts: str) -> bool:
        """Record the admins' post (the first one: replies are matched to it); False if already sent."""
        with self.db.session() as session:
            row = session.get(TutorQuestion, question_id)
            if row is None or row.escalated_at is not None:
                return False
            row.escalated_at, row.admin_channel, row.admin_ts = self.clock.now(), channel, ts
            session.commit()
            return True

    def claim_escalation(self, question_id: int, team_id: str, user_id: str) -> TutorQuestion | None:
        with self.db.session() as session:
            row = session.get(TutorQuestion, question_id)
            if row is None or row.user_id != user_id or row.team_id != team_id or row.escalated_at is not None:
                return None
            row.escalated_at = self.clock.now()
            session.commit()
            return row

    def set_admin_post(self, question_id: int, channel: str, ts: str) -> None:
        with self.db.session() as session:
            row = session.get(TutorQuestion, question_id)
            if row is not None and row.admin_ts is None:
                row.admin_channel, row.admin_ts = channel, ts
                session.commit()

    def question_for_admin_post(self, channel: str, ts: str) -> TutorQuestion | None:
        with self.db.session() as session:
            return session.scalars(select(TutorQuestion).where(
                TutorQuestion.admin_channel == channel, TutorQuestion.admin_ts == ts)).first()

    def admin_answered(self, question_id: int, text: str) -> None:
        with self.db.session() as session:
            row = session.get(TutorQuestion, question_id)
            if row is not None:
                row.admin_answer, row.answered_at = text[:10_000], self.clock.now()
                session.commit()

    def gaps(self, team_id: str, limit: int = 15) -> list[TutorQuestion]:
        """Questions the course did not cover and no admin answered yet, and answers marked 👎; newest first."""
        with self.db.session() as session:
            return list(session.scalars(select(TutorQuestion).where(
                TutorQuestion.team_id == team_id,
                or_(TutorQuestion.feedback == "down",
                    (TutorQuestion.in_scope.is_(False)) & TutorQuestion.answered_at.is_(None)),
            ).order_by(TutorQuestion.created_at.desc(), TutorQuestion.id.desc()).limit(limit)))
