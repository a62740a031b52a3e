"""Challenges in process: an admin opens one, three learners' runs are scored by the worker's scoring
step on the hidden split (the model's predictions are stood in for; the split, the metric, the
baselines and the messages are real), an upload and a run over the daily limit are refused with their
reasons, the leaderboard is in App Home ordered by the hidden-split score, the announce posts are made
once (the end one across a restart and a crash between posting and recording it), and no Web API
payload ever carries a hidden example."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.composition import build_challenges
from bot.store.models import ChallengePost
from tests.helpers import ADA, GENERAL, KOFI, LIN, TEAM, ephemerals, make_worker, text_of, wait_dm
from tests.inprocess import covers, start_inprocess, stop_inprocess


@pytest.fixture
def tutor_announcing(tmp_path):
    running = start_inprocess(tmp_path, env={"TUTOR_ANNOUNCE_CHANNEL": GENERAL})
    yield running
    stop_inprocess(running)


def reply(t, user, text):
    before = len(ephemerals(t.ws, GENERAL, user))
    t.ws.slash(user, "/finetune", text)
    return text_of(t.wait(lambda: ephemerals(t.ws, GENERAL, user)[before:])[0])


def hidden_rows(challenge):
    from training.data import load_table

    table = load_table(challenge.hidden_path)
    return list(zip(table.texts, table.labels))


def run_scored(t, worker, monkeypatch, user, right_share, data_kind="sample", data="support_tickets"):
    """A finished run of `user` whose model gets `right_share` of the hidden examples right."""
    import training.predict

    job = t.services.jobs.create(TEAM, user, {"data_kind": data_kind, "data": data, "model": "minilm",
                                              "method": "full", "epochs": 3}, t.ws.dm_channel(user))
    entry = worker._enter_challenge(t.services.jobs.get(job.id))
    if entry is None or not entry.entered:
        return job.id, entry
    rows = hidden_rows(entry.challenge)
    labels = sorted({label for _, label in rows})
    right = {text for text, _ in rows[:int(len(rows) * right_share)]}
    truth = dict(rows)
    monkeypatch.setattr(training.predict, "predict", lambda model_dir, text: {
        "label": truth[text] if text in right else next(l for l in labels if l != truth[text])})
    assert t.services.jobs.transition(job.id, ("validating",), "succeeded", result={})
    worker.score_on_challenge(job.id, entry, str(t.settings.data_dir / "model"))
    return job.id, entry


@covers("handlers.finetune.finetune_command", "handlers.home.home_opened")
def test_a_challenge_with_three_learners_an_upload_refused_and_posts_made_once(tutor_announcing, monkeypatch):
    t = tutor_announcing
    for user, name in ((ADA, "Ada"), (LIN, "Lin"), (KOFI, "Kofi")):
        t.services.users.ensure(TEAM, user, t.services.client)
    assert "Only the workspace's admins" in reply(t, LIN, "challenge new data=support_tickets ends=2026-12-20")
    assert "`data=` must be one of" in reply(t, ADA, "challenge new data=<!channel> ends=2026-12-20")
    assert "`ends=` is in the past" in reply(t, ADA, "challenge new data=support_tickets ends=2026-01-01")
    opened = reply(t, ADA, "challenge new data=support_tickets metric=macro_f1 ends=2026-03-20 limit=2")
    assert "Challenge #" in opened and "kept hidden" in opened
    challenge = t.services.challenges.open_in(TEAM)[0]
    hidden = hidden_rows(challenge)
    assert 0 < len(hidden) < 200
    with open(challenge.train_path, encoding="utf-8") as handle:
        training_file = handle.read()
    assert not any(text in training_file for text, _ in hidden), "learners train on the data minus the hidden split"

    assert t.services.challenges.tick(t.services.clients.for_team) == 1  # the start post
    worker = make_worker(t.settings, t.services.jobs)
    run_scored(t, worker, monkeypatch, LIN, 0.6)
    run_scored(t, worker, monkeypatch, LIN, 0.9)  # Lin's best counts
    run_scored(t, worker, monkeypatch, KOFI, 0.75)
    run_scored(t, worker, monkeypatch, ADA, 0.4)
    limited, refused = run_scored(t, worker, monkeypatch, LIN, 1.0)
    assert not refused.entered and "daily limit" in refused.reason
    upload, refused = run_scored(t, worker, monkeypatch, KOFI, 1.0, data_kind="upload", data="F0UPLOAD")
    assert not refused.entered
    note = wait_dm(t.ws, KOFI, lambda m: f"Run #{upload} is not scored" in m.get("text", ""))[0]
    assert "uploaded files never score on a challenge" in text_of(note)
    assert wait_dm(t.ws, LIN, lambda m: f"Run #{limited} is not scored" in m.get("text", ""))

    board = t.services.challenges.leaderboard(challenge.id)
    assert [s.user_id for s in board] == [LIN, KOFI, ADA]
    assert board[0].score > board[1].score > board[2].score
    assert set(t.services.challenges.get(challenge.id).baselines) == {"majority", "tfidf_logreg"}
    t.ws.open_home(KOFI)
    home = json.dumps(t.wait(lambda: (lambda v: v if v and "Challenges" in json.dumps(v) else None)(
        t.ws.home_view(KOFI))), ensure_ascii=False)
    assert home.index(board[0].name) < home.index(board[1].name) < home.index(board[2].name)
    assert "majority class" in home and "TF-IDF baseline" in home
    assert f"#{limited}" not in home and "lr " not in home, "others' runs show as a name and a score only"

    t.clock.advance(timedelta(days=8))
    assert t.services.challenges.tick(t.services.clients.for_team) == 1  # the weekly post
    assert t.services.challenges.tick(t.services.clients.for_team) == 0
    t.clock.advance(timedelta(days=15))  # past the end
    assert t.services.challenges.tick(t.services.clients.for_team) == 1
    restarted = build_challenges(t.settings, t.services.db, t.clock, t.services.course.sample_datasets())
    assert restarted.tick(t.services.clients.for_team) == 0
    with t.services.db.session() as session:  # killed after posting, before recording the post
        session.execute(update(ChallengePost).where(ChallengePost.kind == "end").values(message_ts=None))
    again = build_challenges(t.settings, t.services.db, t.clock, t.services.course.sample_datasets())
    assert again.tick(t.services.clients.for_team) == 0
    posts = [m for m in t.ws.messages(GENERAL) if not m.get("is_ephemeral") and "Challenge #" in m.get("text", "")]
    assert [m["text"].rsplit(": ", 1)[1] for m in posts] == ["start", "week-1", "end"]
    assert "Final standings" in text_of(posts[-1]) and text_of(posts[-1]).index("Lin") < text_of(posts[-1]).index("Kofi")

    t.settle()
    journal = json.dumps([entry for entry in t.ws.journal()], ensure_ascii=False)
    leaked = [text for text, _ in hidden if text in journal or json.dumps(text)[1:-1] in journal]
    assert not leaked, f"hidden examples left the bot: {leaked[:2]}"


def test_the_worker_trains_a_challenge_run_on_the_data_minus_the_hidden_split(tutor_inproc, monkeypatch):
    import training.trainer

    t = tutor_inproc
    challenge = t.services.challenges.create(TEAM, ADA, "data=support_tickets ends=2026-12-20")
    worker = make_worker(t.settings, t.services.jobs)
    seen = {}

    def fake_train(config, on_progress=None, should_stop=None):
        seen["data_path"] = config.data_path
        raise RuntimeError("stop here")

    monkeypatch.setattr(training.trainer, "train", fake_train)
    job = t.services.jobs.create(TEAM, LIN, {"data_kind": "sample", "data": "support_tickets", "model": "minilm",
                                             "method": "full", "epochs": 3}, t.ws.dm_channel(LIN))
    t.services.jobs.transition(job.id, ("validating",), "queued")
    worker.run_finetune(job.id)
    assert seen["data_path"] == challenge.train_path
    entries = t.services.challenges.leaderboard(challenge.id)
    assert entries == [], "a run that did not finish does not score"
