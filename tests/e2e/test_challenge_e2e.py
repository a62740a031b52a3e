"""A challenge end to end: the real bot, the sandbox and a real worker process. A learner's run on the
challenge's data trains on the rest, is scored on the hidden split by the worker, and the learner gets
the score; no Web API payload of the whole run carries a hidden example."""

from __future__ import annotations

import json

import pytest

from bot.processes import stop_process
from tests.helpers import ADA, LIN, TEAM, dm, spawn_worker

pytestmark = pytest.mark.slow


def test_a_real_run_is_scored_on_the_hidden_split_and_the_split_never_leaves(tutor):
    from training.data import load_table

    challenge = tutor.services.challenges.create(TEAM, ADA, "data=support_tickets metric=macro_f1 ends=2026-12-20")
    worker = spawn_worker(tutor)
    try:
        tutor.ws.slash(LIN, "/finetune", "data=support_tickets model=tiny epochs=2 per_class=40")
        scored = tutor.ws.wait_for(lambda: [m for m in dm(tutor.ws, LIN)
                                            if f"Challenge #{challenge.id}: run #" in m.get("text", "")], timeout=240)
        board = tutor.services.challenges.leaderboard(challenge.id)
        assert [s.user_id for s in board] == [LIN] and f"{board[0].score:.3f}" in scored[0]["text"]
        assert set(tutor.services.challenges.get(challenge.id).baselines) == {"majority", "tfidf_logreg"}
        job = tutor.services.jobs.for_user(TEAM, LIN)[0]
        assert job.state == "succeeded"
        tutor.settle()
        journal = json.dumps(tutor.ws.journal(), ensure_ascii=False)
        hidden = load_table(challenge.hidden_path).texts
        leaked = [text for text in hidden if text in journal or json.dumps(text)[1:-1] in journal]
        assert not leaked, f"hidden examples left the bot: {leaked[:2]}"
    finally:
        stop_process(worker, kill=True)
