"""Acks never wait behind work (issue 14): the ack half of a listener goes out from the request's own
thread, the listener itself runs on the bounded after-ack pool, and a full pool still acknowledges
(and keeps a quiz answer) and tells the learner."""

from __future__ import annotations

import json
import threading

import pytest

from bot.afterack import AfterAck, Busy
from tests.handlers.test_handlers_quiz import count_answers
from tests.helpers import LIN, answer, read_whole_lesson, wait_for
from tests.inprocess import covers


def occupy(t, workers: int, depth: int) -> threading.Event:
    """Swap the app's after-ack pool for one of `workers` threads and `depth` places, every thread
    held by a task that waits for the returned gate (set it to let them go)."""
    pool = AfterAck(workers=workers, depth=depth)
    gate = threading.Event()
    for _ in range(workers):
        pool.submit(gate.wait, 30)
    t.tracker.inner = pool
    return gate


def updates_of(t, message: dict) -> list:
    return [e for e in t.ws.journal("chat.update") if e["args"].get("ts") == message["ts"]]


@covers("handlers.quiz.quiz_answered")
def test_an_answer_is_acknowledged_and_stored_while_every_worker_is_busy(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "1.1")
    question = read_whole_lesson(t, LIN, "1.1")[0]
    gate = occupy(t, workers=1, depth=5)
    try:
        delivery = answer(t, LIN, question, right=True)
        assert delivery.status == 200, "the ack went out while every after-ack worker was busy"
        assert count_answers(t, LIN) == 1
        assert not updates_of(t, question), "the work after the ack waits for a worker"
    finally:
        gate.set()
    t.settle()
    assert len(updates_of(t, question)) == 1


@covers("handlers.quiz.quiz_answered")
def test_a_full_queue_still_acknowledges_keeps_the_answer_and_says_so(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "1.1")
    question = read_whole_lesson(t, LIN, "1.1")[0]
    gate = occupy(t, workers=1, depth=0)
    try:
        delivery = answer(t, LIN, question, right=True)
        assert delivery.status == 200
        assert count_answers(t, LIN) == 1, "the answer is stored before the ack, queue full or not"
        notice = wait_for(lambda: [e for e in t.ws.journal(kind="response_url")
                                   if "your answer is saved" in json.dumps(e["body"])], 10)
        assert notice
    finally:
        gate.set()
    t.settle()
    assert not updates_of(t, question), "a refused request's work never runs"
    assert t.tracker.started >= 1 and not t.tracker.errors


@covers("handlers.progress.progress_command")
def test_an_error_after_the_ack_reaches_the_learner_in_plain_words(tutor_inproc, monkeypatch):
    t = tutor_inproc

    def broken(*_args, **_kwargs):
        raise RuntimeError("the summary broke")

    monkeypatch.setattr(t.services.learning, "summary", broken)
    t.ws.slash(LIN, "/progress")
    said = wait_for(lambda: [e for e in t.ws.journal(kind="response_url") if "went wrong" in json.dumps(e["body"])], 10)
    assert "Traceback" not in json.dumps(said) and "summary broke" not in json.dumps(said)


def test_the_after_ack_pool_refuses_past_its_bound_and_frees_a_place_when_work_ends():
    pool = AfterAck(workers=1, depth=1)
    gate = threading.Event()
    try:
        running, waiting = pool.submit(gate.wait, 10), pool.submit(lambda: "queued")
        with pytest.raises(Busy):
            pool.submit(lambda: "refused")
        gate.set()
        assert running.result(10) and waiting.result(10) == "queued"
        wait_for(lambda: _accepts(pool), 10)
    finally:
        gate.set()
        pool.shutdown()


def _accepts(pool) -> bool:
    try:
        return pool.submit(lambda: True).result(10)
    except Busy:
        return False


def test_closing_drops_the_waiting_work_and_lets_the_running_work_finish():
    """At shutdown the process ends without working through the whole queue (it waited for all of it)."""
    pool = AfterAck(workers=2, depth=50)
    gate, ran = threading.Event(), []
    running = [pool.submit(lambda: (gate.wait(30), ran.append("running"))) for _ in range(2)]
    waiting = [pool.submit(ran.append, "waiting") for _ in range(20)]
    threading.Timer(0.2, gate.set).start()  # the running work finishes during the grace
    assert pool.close(grace_s=10) == 20
    assert ran == ["running", "running"]
    assert all(f.done() and not f.cancelled() for f in running) and all(f.cancelled() for f in waiting)
    with pytest.raises(RuntimeError):
        pool.submit(ran.append, "after")
