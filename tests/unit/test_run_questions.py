"""Questions about a learner's own run: each rule fires on the numbers it quotes and stays silent when
they do not support it; every number in a prompt is one of the run's."""

from __future__ import annotations

import re

from bot.run_questions import (F1_GAP, MAX_QUESTIONS, question_baseline, question_f1_gap, question_overfit,
                               questions_for)
from bot.runs import run_from_job
from tests.unit.test_runs import job


def run(**kwargs):
    return run_from_job(job(kwargs.pop("job_id", 12), **kwargs))


def test_the_f1_gap_question_quotes_the_runs_accuracy_and_macro_f1():
    question = question_f1_gap(run(acc=0.93, f1=0.71))
    assert "accuracy 0.93 but macro-F1 0.71" in question.prompt and "#12" in question.prompt
    assert "small ones" in question.choices[question.answer]
    assert question_f1_gap(run(acc=0.93, f1=0.93 - F1_GAP + 0.001)) is None


def test_the_overfit_question_needs_a_real_rise_after_the_best_epoch():
    question = question_overfit(run(val=((1, 0.4), (2, 0.35), (3, 0.6))))
    assert "lowest at epoch 2 (0.350) and rose to 0.600 by epoch 3" in question.prompt
    assert question.choices[question.answer].startswith("It overfit")
    assert question_overfit(run(val=((1, 0.6), (2, 0.5), (3, 0.51)))) is None


def test_the_baseline_question_depends_on_which_side_of_tfidf_the_run_is():
    below = question_baseline(run(f1=0.6, tfidf_f1=0.7))
    above = question_baseline(run(f1=0.8, tfidf_f1=0.7))
    assert "0.60, below the TF-IDF baseline's 0.70" in below.prompt and "Check the data" in below.choices[below.answer]
    assert "the TF-IDF baseline reached 0.70" in above.prompt and "adds over" in above.choices[above.answer]


def test_at_most_two_questions_in_rule_order_and_none_for_unfinished_or_chat_runs():
    everything = run(acc=0.95, f1=0.6, tfidf_f1=0.7, val=((1, 0.4), (2, 0.6)))
    assert [q.question_id for q in questions_for(everything)] == ["overfit", "f1_gap"][:MAX_QUESTIONS]
    assert questions_for(run(state="failed")) == []
    chat = run(acc=0.95, f1=0.6)
    chat.task = "chat"
    assert questions_for(chat) == []


def test_the_right_choice_moves_with_the_run_and_every_choice_fits_a_button():
    positions = {question_f1_gap(run(job_id=i, acc=0.9, f1=0.7)).answer for i in range(1, 9)}
    assert positions == {0, 1, 2, 3}
    for i in range(1, 5):
        for question in questions_for(run(job_id=i, acc=0.95, f1=0.6, tfidf_f1=0.7, val=((1, 0.4), (2, 0.6)))) + \
                questions_for(run(job_id=i, f1=0.8, tfidf_f1=0.7)):
            assert all(len(choice) <= 75 for choice in question.choices), question.choices
            assert len(set(question.choices)) == len(question.choices)


def test_every_number_in_a_prompt_comes_from_the_run():
    subject = run(job_id=31, acc=0.93, f1=0.71, tfidf_f1=0.75, val=((1, 0.52), (2, 0.47), (3, 0.66)))
    allowed = {"31", "0.93", "0.71", "0.75", "1", "2", "3", "0.470", "0.660", "0.520"}
    for question in [question_f1_gap(subject), question_overfit(subject), question_baseline(subject)]:
        for number in re.findall(r"\d+(?:\.\d+)?", question.prompt):
            assert number in allowed, (number, question.prompt)



def test_the_request_task_decides_classification_or_chat():
    """Requests now carry `task` ("classify" or "chat"); old rows have none. Classification runs are still
    asked about; chat runs are not."""
    from bot.runs import run_from_job

    classify = job(40, acc=0.95, f1=0.6)
    classify.request["task"] = "classify"
    assert run_from_job(classify).task == "classification" and questions_for(run_from_job(classify))
    chat = job(41, acc=0.95, f1=0.6)
    chat.request["task"] = "chat"
    assert run_from_job(chat).task == "chat" and questions_for(run_from_job(chat)) == []
