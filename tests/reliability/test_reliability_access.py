"""A learner cannot act for another or see team data; tokens and secrets never reach the logs."""

from __future__ import annotations

import json
import logging

from sqlalchemy import func, select

from bot.store.models import QuizAnswer
from tests.helpers import answer, dm, read_whole_lesson
from tests.reliability.conftest import ADA, LIN, SECRET, TOKEN


def test_another_learners_quiz_cannot_be_answered(backend_tutor):
    tutor = backend_tutor
    tutor.ws.slash(LIN, "/lesson", "1.1")
    questions = read_whole_lesson(tutor, LIN, "1.1")
    for question in questions:
        assert answer(tutor, ADA, question, right=True).status == 200
    tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages(include_ephemeral=True)
                               if "belongs to someone else" in m.get("text", "")])
    tutor.settle()  # the foreign clicks' listeners have finished
    with tutor.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(QuizAnswer)) == 0
    quiz_ts = {q["ts"] for q in questions}
    assert not [e for e in tutor.ws.journal("chat.update") if e["args"].get("ts") in quiz_ts]


def test_team_view_is_for_admins_only(backend_tutor):
    tutor = backend_tutor
    tutor.ws.open_home(LIN)
    home = tutor.ws.wait_for(lambda: tutor.ws.home_view(LIN))
    assert "Team view" not in json.dumps(home) and "team_export" not in json.dumps(home)
    tutor.ws.open_home(ADA)
    admin_home = tutor.ws.wait_for(lambda: tutor.ws.home_view(ADA))
    assert tutor.ws.click(LIN, admin_home, "team_export").status == 200  # a forged click on Ada's button
    tutor.settle()  # its listener has finished: a fixed sleep passed on a slow machine without the admin check
    assert not [m for m in dm(tutor.ws, LIN) if m.get("files")]
    assert not tutor.ws.journal(kind="upload")


def test_tokens_and_secrets_never_logged(tutor, caplog):
    caplog.set_level(logging.DEBUG)
    tutor.ws.slash(LIN, "/lesson", "1.1")
    read_whole_lesson(tutor, LIN, "1.1")
    tutor.ws.slash(LIN, "/progress", "")
    tutor.ws.slash(LIN, "/finetune", "status")
    tutor.ws.slash(LIN, "/lesson", "1.1", signing_secret="wrong")  # refusals log too
    tutor.ws.open_home(ADA)
    tutor.ws.wait_for(lambda: tutor.ws.home_view(ADA))
    tutor.settle()  # everything the bot was doing has been logged
    logged = "\n".join(r.getMessage() + " " + repr(r.args) + " " + str(r.exc_text or "") for r in caplog.records)
    assert len(caplog.records) > 10, "DEBUG logging was captured"
    assert TOKEN not in logged and SECRET not in logged
    assert str(tutor.settings.signing_secret) not in logged
