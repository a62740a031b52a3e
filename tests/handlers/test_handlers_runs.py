"""`/finetune runs`, `/finetune compare`, the list's buttons (message and App Home) and the compare
modal, in process. Runs are job rows with stored results; the comparison plot is drawn by the worker
task in Huey's immediate mode, from the curves stored in the rows."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ADA, GENERAL, LIN, TEAM, buttons, ephemerals, text_of, wait_dm, wait_journal
from tests.inprocess import covers


def finished_run(t, user=LIN, *, lr=None, f1=0.8, acc=0.9, val=((1, 0.6), (2, 0.5), (3, 0.45)), data="support_tickets"):
    request = {"data_kind": "sample", "data": data, "model": "minilm", "method": "full", "epochs": 3, "lr": lr,
               "batch_size": 16, "per_class": None}
    job = t.services.jobs.create(TEAM, user, request, t.ws.dm_channel(user))
    result = {"metrics": {"accuracy": acc, "macro_f1": f1},
              "per_class": [{"label": "billing", "f1": f1 + 0.05}, {"label": "account", "f1": f1 - 0.05}],
              "baselines": {"tfidf_logreg": {"accuracy": 0.85, "macro_f1": 0.75}},
              "timings": {"total_seconds": 42.0},
              "training": {"loss_curve": {"train": [], "validation": [list(p) for p in val]}}}
    assert t.services.jobs.transition(job.id, ("validating",), "succeeded", result=result)
    return job.id


def replies(t, user=LIN) -> list[dict]:
    return ephemerals(t.ws, GENERAL, user)


@pytest.fixture
def immediate_plots(tutor_inproc):
    tutor_inproc.services.queues.predict.immediate = True
    yield tutor_inproc
    tutor_inproc.services.queues.predict.immediate = False


@covers("handlers.finetune.finetune_command", "handlers.runs.runs_page_clicked")
def test_runs_are_listed_newest_first_and_paged_and_only_the_owners(tutor_inproc):
    t = tutor_inproc
    ids = [finished_run(t, f1=0.7 + i / 100) for i in range(7)]
    other = finished_run(t, ADA)
    t.ws.slash(LIN, "/finetune", "runs")
    listed = t.wait(lambda: [m for m in replies(t) if "Your runs" in text_of(m)])[0]
    body = text_of(listed)
    shown = [i for i in ids if f"*#{i}*" in body]
    assert shown == ids[2:] and f"#{other}" not in body
    assert body.index(f"*#{ids[6]}*") < body.index(f"*#{ids[2]}*"), "newest first"
    assert "+0.010 vs TF-IDF" in body and "accuracy 0.900" in body
    assert not [b for b in buttons(listed, "runs_page") if "Newer" in json.dumps(b)]
    t.ws.click(ADA, listed, "runs_page")  # someone else's list: nothing of Lin's is shown to Ada
    t.ws.click(LIN, listed, "runs_page")
    page2 = wait_journal(t.ws, kind="response_url", where=lambda e: "page 2" in json.dumps(e["body"]))
    text = json.dumps(page2[0]["body"])
    assert f"*#{ids[1]}*" in text and f"*#{ids[0]}*" in text and f"*#{ids[2]}*" not in text
    assert page2[0]["body"].get("replace_original") in (True, "true")
    t.settle()
    for entry in t.ws.journal(kind="response_url"):
        if "belongs to someone else" not in json.dumps(entry["body"]):
            assert "page" in json.dumps(entry["body"])
    t.ws.slash(ADA, "/finetune", "runs")
    ada = t.wait(lambda: [m for m in replies(t, ADA) if "Your runs" in text_of(m)])[0]
    assert f"*#{other}*" in text_of(ada) and not any(f"*#{i}*" in text_of(ada) for i in ids)


@covers("handlers.finetune.finetune_command")
def test_compare_posts_one_message_with_deltas_summary_and_the_plot(immediate_plots):
    t = immediate_plots
    slow = finished_run(t, lr=5e-5, f1=0.61, val=((1, 0.7), (2, 0.58), (3, 0.52)))
    fast = finished_run(t, lr=3e-4, f1=0.74, val=((1, 0.4), (2, 0.48), (3, 0.6)))
    t.ws.slash(LIN, "/finetune", f"compare {slow} #{fast}")
    t.wait(lambda: [m for m in replies(t) if "comparison is in your DM" in text_of(m)])
    posted = wait_dm(t.ws, LIN, lambda m: "Comparing runs" in m.get("text", ""))
    assert len(posted) == 1
    message = t.wait(lambda: [m for m in wait_dm(t.ws, LIN, lambda m: "Comparing runs" in m.get("text", ""))
                              if any(b.get("type") == "image" for b in m.get("blocks", []))])[0]
    body = text_of(message)
    assert "The higher learning rate (#" in body and "then overfit (validation loss back up to 0.600 by epoch 3)" in body
    assert "+0.130" in body  # macro-F1 difference in the table
    assert "-0.130" not in body
    image = [b for b in message["blocks"] if b["type"] == "image"][0]
    file = t.ws.state.files[image["slack_file"]["id"]]
    assert file["mimetype"] == "image/png" and not file.get("channels")
    assert len(wait_dm(t.ws, LIN, lambda m: "Comparing runs" in m.get("text", ""))) == 1, "one message, updated"


@covers("handlers.finetune.finetune_command")
def test_compare_refuses_other_peoples_unfinished_and_too_few_runs(tutor_inproc):
    t = tutor_inproc
    mine = finished_run(t)
    hers = finished_run(t, ADA)
    waiting = t.services.jobs.create(TEAM, LIN, {"data": "support_tickets", "method": "full"}).id
    for text in (f"compare {mine} {hers}", f"compare {mine}", f"compare {mine} {waiting}", "compare 1 <x>"):
        t.ws.slash(LIN, "/finetune", text)
    got = t.wait(lambda: replies(t) if len(replies(t)) >= 4 else None)
    said = " ".join(text_of(m) for m in got)
    assert f"#{hers} is not one of your runs" in said and "Compare 2 to 4 runs" in said
    assert f"#{waiting} has no results to compare (it is validating)" in said, said
    assert "is not a run number" in said and "<x>" not in said
    t.settle()
    assert not t.ws.journal("chat.postMessage")


@covers("handlers.runs.compare_pick_clicked", "handlers.runs.compare_submitted")
def test_compare_from_the_list_through_the_modal(immediate_plots):
    t = immediate_plots
    a, b = finished_run(t, f1=0.7), finished_run(t, f1=0.8)
    t.ws.slash(LIN, "/finetune", "runs")
    listed = t.wait(lambda: [m for m in replies(t) if "Your runs" in text_of(m)])[0]
    t.ws.click(ADA, listed, "runs_compare_pick")
    t.ws.click(LIN, listed, "runs_compare_pick")
    modal = t.wait(lambda: t.ws.open_views(LIN))[-1]
    assert modal["callback_id"] == "runs_compare" and not t.ws.open_views(ADA)
    refused = t.ws.submit_view(LIN, modal, {"runs": [str(a)]})
    assert refused.json["response_action"] == "errors" and "runs" in refused.json["errors"]
    t.ws.submit_view(LIN, modal, {"runs": [str(a), str(b)]})
    message = wait_dm(t.ws, LIN, lambda m: f"Comparing runs #{a} vs #{b}" in m.get("text", ""))[0]
    assert f"#{b} has the best macro-F1, 0.800" in text_of(message)


@covers("handlers.runs.compare_pick_clicked")
def test_the_compare_button_with_fewer_than_two_finished_runs_says_so(tutor_inproc):
    t = tutor_inproc
    finished_run(t)
    t.ws.slash(LIN, "/finetune", "runs")
    listed = t.wait(lambda: [m for m in replies(t) if "Your runs" in text_of(m)])[0]
    t.ws.click(LIN, listed, "runs_compare_pick")
    t.wait(lambda: [m for m in replies(t) if "at least 2 finished runs" in text_of(m)])
    assert not t.ws.open_views(LIN)


@covers("handlers.home.home_opened", "handlers.runs.runs_page_clicked")
def test_app_home_shows_the_learners_runs_paged(tutor_inproc):
    t = tutor_inproc
    ids = [finished_run(t) for _ in range(6)]
    other = finished_run(t, ADA)
    t.ws.open_home(LIN)
    home = t.wait(lambda: t.ws.home_view(LIN))
    text = json.dumps(home)
    assert f"*#{ids[5]}*" in text and f"*#{ids[0]}*" not in text and f"#{other}*" not in text
    assert "Syllabus" in text and len(home["blocks"]) <= 100
    t.ws.click(LIN, home, "runs_page")
    t.wait(lambda: f"*#{ids[0]}*" in json.dumps(t.ws.home_view(LIN)))


def run_questions_message(t, job_id, user=LIN):
    return wait_dm(t.ws, user, lambda m: f"Questions about your run #{job_id}" in m.get("text", ""))


@covers("handlers.runs.run_question_answered", "handlers.progress.progress_command", "handlers.quiz.review_answered")
def test_questions_about_a_finished_run_are_asked_once_scored_apart_and_reviewed(tutor_inproc):
    from bot.store.models import RunQuestion
    from tests.helpers import answer, read_whole_lesson

    t = tutor_inproc
    job_id = finished_run(t, f1=0.71, acc=0.93, val=((1, 0.5), (2, 0.4), (3, 0.6)))
    messages = t.services.finetune.messages
    assert messages.announce(job_id) and messages.announce(job_id)  # a retried announce asks nothing more
    asked = run_questions_message(t, job_id)
    assert len(asked) == 1
    body = text_of(asked[0])
    assert "accuracy 0.93 but macro-F1 0.71" in body and "lowest at epoch 2 (0.400) and rose to 0.600" in body
    rows = {row.question_id: row for row in t.services.run_questions.rows(
        [json.loads(b["value"])["q"] for b in buttons(asked[0], "run_question_answer_")])}
    overfit, gap = rows["overfit"], rows["f1_gap"]
    assert t.ws.click(ADA, asked[0], f"run_question_answer_{overfit.answer}",
                      block_id=f"runq_{overfit.id}").status == 200  # not Ada's question
    click = t.ws.click(LIN, asked[0], f"run_question_answer_{overfit.answer}", block_id=f"runq_{overfit.id}")
    wait_journal(t.ws, "chat.update", where=lambda e: e["args"].get("ts") == asked[0]["ts"])
    t.ws.resend(click)
    wrong = (gap.answer + 1) % len(gap.choices)
    message = t.ws.state.find_message(asked[0]["channel"], asked[0]["ts"])
    t.ws.click(LIN, message, f"run_question_answer_{wrong}", block_id=f"runq_{gap.id}")
    wait_journal(t.ws, "chat.update", count=2, where=lambda e: e["args"].get("ts") == asked[0]["ts"])
    second = t.services.run_questions.answer(TEAM, LIN, gap.id, gap.answer)  # a stale button's second try
    assert not second.first and second.correct is False
    assert t.services.run_questions.answer(TEAM, ADA, gap.id, gap.answer) is None, "only the owner answers"
    t.settle()
    assert len([e for e in t.ws.journal("chat.update") if e["args"].get("ts") == asked[0]["ts"]]) == 2
    final = text_of(t.ws.state.find_message(asked[0]["channel"], asked[0]["ts"]))
    assert "✅ Right" in final and "❌ Not quite" in final and not buttons(
        t.ws.state.find_message(asked[0]["channel"], asked[0]["ts"]), "run_question_answer_")
    with t.services.db.session() as session:
        assert [(r.question_id, r.correct) for r in session.query(RunQuestion).order_by(RunQuestion.id)] == [
            ("overfit", True), ("f1_gap", False)]
    assert t.services.learning.summary(TEAM, LIN).answered == 0, "run questions are scored apart"
    t.ws.slash(LIN, "/progress")
    progress = t.wait(lambda: [m for m in replies(t) if "Questions about your runs" in text_of(m)])[0]
    assert "1/2 right" in text_of(progress)
    # the missed question comes back in the review after the next lesson completed
    t.ws.slash(LIN, "/lesson", "1.1")
    for question in read_whole_lesson(t, LIN, "1.1"):
        answer(t, LIN, question, right=True)
    review = wait_dm(t.ws, LIN, lambda m: m.get("text", "").startswith("Review"))[0]
    assert f"From your run #{job_id}:" in text_of(review) and "accuracy 0.93 but macro-F1 0.71" in text_of(review)
    value = json.loads(buttons(review, "review_answer_")[0]["value"])
    t.ws.click(LIN, review, f"review_answer_{gap.answer}")
    wait_journal(t.ws, "chat.update", where=lambda e: e["args"].get("ts") == review["ts"])
    assert t.services.learning.review_item(value["r"]).resolved_at is not None
    assert "✅ Right" in text_of(t.ws.state.find_message(review["channel"], review["ts"]))
