"""A learner's runs: the paged list and comparisons.

Only the learner's own job rows are ever read here (`JobService.owned` filters by team and user), so a
run number typed by someone else reads exactly like one that does not exist. The comparison message is
posted at once; its validation-curve plot is drawn on a worker (matplotlib lives there) from the curves
stored in the job rows, which then puts the image into the same message.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from slack_sdk import WebClient

from bot import runs_views
from bot.runs import MAX_COMPARE, MIN_COMPARE, Comparison, Run, compare, run_from_job
from bot.services.jobs import JobService
from bot.slack import escape

log = logging.getLogger(__name__)

PLOT_PENDING = "📈 Drawing the validation curves of these runs…"
NO_CURVES = "No validation curves were stored for these runs, so there is no plot."


class CompareRefused(Exception):
    """Runs that cannot be compared; the message says what to type instead."""


@dataclass
class RunsPage:
    runs: list[Run]
    page: int
    has_more: bool


def parse_ids(text: str) -> list[int]:
    """`12 15`, `#12, #15`: distinct run numbers in the order given."""
    words = [w for w in re.split(r"[\s,]+", text.strip()) if w]
    ids: list[int] = []
    for word in words:
        number = word.lstrip("#")
        if not number.isdigit() or len(number) > 9:
            raise CompareRefused(f"`{escape(word[:20])}` is not a run number. Use `/finetune compare 12 15` "
                                 "(`/finetune runs` lists your runs).")
        if int(number) not in ids:
            ids.append(int(number))
    return ids


def load_comparison(jobs: JobService, team_id: str, user_id: str, ids: list[int]) -> Comparison:
    """The comparison of the learner's own finished runs `ids`, or CompareRefused saying what is wrong."""
    if not MIN_COMPARE <= len(ids) <= MAX_COMPARE:
        raise CompareRefused(f"Compare {MIN_COMPARE} to {MAX_COMPARE} runs, e.g. `/finetune compare 12 15` "
                             "(`/finetune runs` lists your runs).")
    found = jobs.owned(team_id, user_id, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise CompareRefused(f"#{missing[0]} is not one of your runs. `/finetune runs` lists yours.")
    unfinished = [found[i] for i in ids if found[i].state != "succeeded"]
    if unfinished:
        job = unfinished[0]
        raise CompareRefused(f"#{job.id} has no results to compare (it is {job.state}). Pick finished runs.")
    return compare([run_from_job(found[i]) for i in ids])


class RunService:
    def __init__(self, *, jobs: JobService, queues, dm):
        """`dm(client, team_id, user_id)` gives the learner's DM channel; `queues.plot_comparison` draws
        the plot on a worker."""
        self.jobs, self.queues, self.dm = jobs, queues, dm

    def page(self, team_id: str, user_id: str, page: int = 0, size: int = runs_views.PAGE_SIZE) -> RunsPage:
        page = max(0, page)
        rows = self.jobs.for_user(team_id, user_id, limit=size + 1, offset=page * size)
        return RunsPage([run_from_job(job) for job in rows[:size]], page, len(rows) > size)

    def finished(self, team_id: str, user_id: str, limit: int = 100) -> list[Run]:
        return [run_from_job(job) for job in self.jobs.for_user(team_id, user_id, limit=limit, states=("succeeded",))]

    def compare(self, client: WebClient, team_id: str, user_id: str, ids: list[int]) -> str:
        """Post the comparison in the learner's DM; the reply says where it is, or what to fix."""
        try:
            cmp = load_comparison(self.jobs, team_id, user_id, ids)
        except CompareRefused as refused:
            return f"⚠️ {refused}"
        curves = any(run.val_curve for run in cmp.runs)
        channel = self.dm(client, team_id, user_id)
        posted = client.chat_postMessage(channel=channel, **runs_views.compare_message(
            cmp, plot_note=PLOT_PENDING if curves else NO_CURVES))
        if curves:
            try:
                self.queues.plot_comparison(team_id, user_id, [r.id for r in cmp.runs], channel, posted["ts"])
            except Exception:  # the queue is down: the comparison stands without its plot
                log.exception("could not queue the comparison plot")
                client.chat_update(channel=channel, ts=posted["ts"], **runs_views.compare_message(
                    cmp, plot_note="The plot could not be drawn right now (the worker queue is unavailable)."))
        return "📊 The comparison is in your DM with me."
