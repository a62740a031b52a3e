"""`/progress` and App Home (dashboard, start, syllabus, the admin-only export), in process."""

from __future__ import annotations

import json

from tests.helpers import ADA, GENERAL, LIN, dm, ephemerals, lesson_count, text_of, wait_dm, wait_journal
from tests.inprocess import covers


@covers("handlers.progress.progress_command")
def test_progress_is_shown_only_to_the_learner(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/progress", "", channel=GENERAL)
    progress = t.wait(lambda: [m for m in ephemerals(t.ws) if m.get("text", "").startswith("Your progress")])
    assert progress[0]["visible_to"] == LIN and f"0 of {lesson_count()}" in text_of(progress[0])


@covers("handlers.home.home_opened")
def test_home_for_a_learner_and_for_an_admin(tutor_inproc):
    t = tutor_inproc
    assert t.ws.open_home(LIN).status == 200
    home = t.wait(lambda: t.ws.home_view(LIN))
    assert "Syllabus" in json.dumps(home) and "Team view" not in json.dumps(home)
    t.ws.open_home(ADA)
    admin = t.wait(lambda: t.ws.home_view(ADA))
    assert "Team view" in json.dumps(admin) and "team_export" in json.dumps(admin)


@covers("handlers.home.home_opened")
def test_home_opened_on_the_messages_tab_publishes_nothing(tutor_inproc):
    t = tutor_inproc
    t.ws.event("app_home_opened", LIN, channel=t.ws.dm_channel(LIN), tab="messages")
    t.settle()
    assert not t.ws.journal("views.publish")


@covers("handlers.home.start_clicked", "handlers.home.syllabus_clicked")
def test_home_start_and_syllabus_buttons(tutor_inproc):
    t = tutor_inproc
    t.ws.open_home(LIN)
    home = t.wait(lambda: t.ws.home_view(LIN))
    t.ws.click(LIN, home, "home_start")
    wait_dm(t.ws, LIN, lambda m: "Lesson 1.1" in text_of(m))
    t.ws.click(LIN, home, "home_syllabus")
    syllabus = wait_dm(t.ws, LIN, lambda m: "Syllabus" in m.get("text", ""))
    assert "`5.3`" in text_of(syllabus[0])


@covers("handlers.home.export_clicked")
def test_team_export_goes_to_admins_only(tutor_inproc):
    """A forged click on the admin's button by a learner must upload nothing. The forged click goes
    first; `settle()` returns once its listener has finished, so "nothing" is a fact, not a guess."""
    t = tutor_inproc
    t.ws.open_home(ADA)
    admin_home = t.wait(lambda: t.ws.home_view(ADA))
    assert t.ws.click(LIN, admin_home, "team_export").status == 200
    t.settle()
    assert not t.ws.journal(kind="upload") and not t.ws.journal("files.completeUploadExternal")
    assert not [m for m in dm(t.ws, LIN) if m.get("files")]
    # the same click by the admin does upload: the refusal above was the admin check, not a broken export
    t.ws.click(ADA, admin_home, "team_export")
    upload = wait_dm(t.ws, ADA, lambda m: m.get("files"))
    assert upload[0]["files"][0]["name"].endswith(".csv")
    wait_journal(t.ws, "files.completeUploadExternal")
