"""OAuth mode serves many workspaces from one database: two team ids never see each other's data
(service level: progress, syllabus, summary, team stats and export, jobs, cancel)."""

from __future__ import annotations

from tests.reliability.conftest import ADA

ACME, GLOBEX = "T0ACME", "T0GLOBEX"


def test_two_workspaces_never_see_each_others_data(backend_tutor):
    services = backend_tutor.services
    lesson = services.course.lesson("1.1")
    question = lesson.quiz[0]
    services.learning.start(ACME, ADA, "1.1")  # the same user id in both teams: only the team tells them apart
    services.learning.answer(ACME, ADA, "1.1", question.id, 0)
    job = services.jobs.create(ACME, ADA, {"data": "sample:sentiment"}, "D0ACME")

    assert services.learning.progress_rows(GLOBEX, ADA) == {}
    assert services.learning.answers(GLOBEX, ADA, "1.1") == {}
    assert [e.state for e in services.learning.syllabus(GLOBEX, ADA)][0] != "done"
    summary = services.learning.summary(GLOBEX, ADA)
    assert (summary.answered, summary.correct, summary.runs) == (0, 0, [])
    stats = services.learning.team_stats(GLOBEX)
    assert all(started == completed == 0 for _id, _title, started, completed in stats.funnel)
    assert stats.hardest == [] or all(answered == 0 for *_rest, answered in stats.hardest)
    assert "1.1" not in services.learning.team_csv(GLOBEX).split("\n", 1)[-1]
    assert services.jobs.for_user(GLOBEX, ADA) == []
    refused = services.jobs.request_cancel(job.id, GLOBEX, ADA)
    assert not refused.ok and services.jobs.get(job.id).state == "validating"

    # and Acme still sees its own
    assert set(services.learning.progress_rows(ACME, ADA)) == {"1.1"}
    assert [j.id for j in services.jobs.for_user(ACME, ADA)] == [job.id]
    assert services.learning.summary(ACME, ADA).answered == 1
