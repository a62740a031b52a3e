"""Ask the tutor, in process: DMs and @mentions answered in threads with citations and working
buttons, declines passed to the admins and their replies brought back, 👎 in the admins' Home, and
bad input (empty, huge, emoji, broadcasts, other languages, floods) never an error."""

from __future__ import annotations

import json

import pytest

from bot.store.models import TutorQuestion
from tests.helpers import ADA, GENERAL, LIN, TEAM, buttons, dm, rejected_api_calls, text_of, wait_journal
from tests.handlers.ask_fixtures import thread_replies, tutor_inproc  # noqa: F401 (a fixture)
from tests.inprocess import covers


def questions(t) -> list[TutorQuestion]:
    with t.services.db.session() as session:
        return list(session.query(TutorQuestion).order_by(TutorQuestion.id))


def ask_dm(t, user: str, text: str) -> tuple[dict, dict]:
    delivery = t.ws.send_dm(user, text)
    assert delivery.status == 200
    channel = t.ws.dm_channel(user)
    question = [m for m in t.ws.messages(channel) if m.get("user") == user][-1]
    # a slow first answer (the index opening) shows "thinking…" first, then is replaced in place
    reply = t.wait(lambda: [m for m in thread_replies(t.ws, channel, question["ts"]) if "Thinking" not in m["text"]])[0]
    return question, reply


@covers("handlers.ask.message_received", "handlers.ask.feedback_clicked", "handlers.ask.open_lesson_clicked",
        "handlers.home.home_opened")
def test_a_dm_question_gets_a_threaded_answer_citing_the_lesson_with_working_buttons(tutor_inproc):
    t = tutor_inproc
    _question, reply = ask_dm(t, LIN, "why is my macro-F1 so much lower than accuracy?")
    assert "Lesson 2.3" in text_of(reply)
    assert buttons(reply, "tutor_open_lesson_") and buttons(reply, "tutor_feedback_")
    t.ws.click(LIN, reply, "tutor_open_lesson_0")
    t.wait(lambda: [m for m in dm(t.ws, LIN) if "Lesson 2.3" in m.get("text", "") and not m.get("thread_ts")])
    t.ws.click(LIN, reply, "tutor_feedback_1")  # 👎
    t.wait(lambda: questions(t)[0].feedback == "down")
    t.ws.open_home(ADA)
    home = t.wait(lambda: t.ws.home_view(ADA))
    assert "Course gaps" in json.dumps(home) and "macro-F1" in json.dumps(home)
    t.settle()
    assert not rejected_api_calls(t.ws)


@covers("handlers.ask.mention_received")
def test_a_mention_in_general_is_answered_in_its_thread(tutor_inproc):
    t = tutor_inproc
    ts = t.ws._server.state.add_message(GENERAL, {"type": "message", "user": LIN, "team": TEAM,
                                                  "text": "<@U0BOT> what learning rate should I use for bert?"})["ts"]
    t.ws.event("app_mention", LIN, channel=GENERAL, ts=ts, text="<@U0BOT> what learning rate should I use for bert?",
               team=TEAM)
    reply = t.wait(lambda: thread_replies(t.ws, GENERAL, ts))[0]
    assert "Lesson 3.2" in text_of(reply)


@covers("handlers.ask.ask_admins_clicked", "handlers.ask.message_received")
def test_an_off_topic_question_is_declined_and_an_admins_reply_reaches_the_learner(tutor_inproc):
    t = tutor_inproc
    question, reply = ask_dm(t, LIN, "who won the world cup in 2018")
    assert "does not cover" in text_of(reply)
    t.ws.click(LIN, reply, "tutor_ask_admins")
    admin_post = t.wait(lambda: [m for m in dm(t.ws, ADA) if "world cup" in text_of(m)])[0]
    t.ws.click(LIN, reply, "tutor_ask_admins")  # a double click sends nothing twice
    t.wait(lambda: [m for m in thread_replies(t.ws, t.ws.dm_channel(LIN), question["ts"]) if "Sent to" in text_of(m)])
    # Ada answers in the thread of the bot's post in her DM
    channel = t.ws.dm_channel(ADA)
    stored = t.ws._server.state.add_message(channel, {"type": "message", "user": ADA, "team": TEAM,
                                                      "text": "Ask <!channel> the kitchen", "thread_ts": admin_post["ts"]})
    t.ws.event("message", ADA, channel=channel, channel_type="im", text=stored["text"], ts=stored["ts"],
               thread_ts=admin_post["ts"], team=TEAM)
    relayed = t.wait(lambda: [m for m in thread_replies(t.ws, t.ws.dm_channel(LIN), question["ts"])
                              if "An admin answered" in text_of(m)])[0]
    assert "kitchen" in text_of(relayed) and "<!channel>" not in text_of(relayed)
    t.settle()
    assert len([m for m in dm(t.ws, ADA) if "world cup" in text_of(m)]) == 1


@covers("handlers.ask.message_received")
@pytest.mark.parametrize("text", ["", "x" * 40_000, "🙂🙂🙂", "<!channel> <@U0ADA> help", "¿Qué es la tasa de aprendizaje?",
                                  "Was ist Overfitting beim Feinabstimmen?"])
def test_bad_input_is_answered_or_declined_never_an_error_nor_a_ping(tutor_inproc, text):
    t = tutor_inproc
    _question, reply = ask_dm(t, LIN, text)
    assert "<!channel>" not in json.dumps(reply) and "<@U0ADA>" not in json.dumps(reply)
    assert ("Lesson" in text_of(reply)) or ("does not cover" in text_of(reply)) or ("Ask me anything" in text_of(reply))
    t.settle()
    assert not rejected_api_calls(t.ws) and not [d for d in t.dispatched if d[1] != 200]


@covers("handlers.ask.message_received")
def test_a_flood_of_questions_is_rate_limited_politely_and_every_one_acked(tutor_inproc):
    t = tutor_inproc
    deliveries = [t.ws.send_dm(LIN, f"what is warmup, take {n}") for n in range(20)]
    assert all(d.status == 200 for d in deliveries)
    t.settle()
    channel = t.ws.dm_channel(LIN)
    replies = [m for m in t.ws.messages(channel) if m.get("thread_ts") and m.get("user") != LIN]
    answers = [m for m in replies if "Lesson 3.2" in text_of(m)]
    slow_down = [m for m in replies if "in a minute" in text_of(m)]
    assert len(answers) == t.settings.questions_per_minute and len(slow_down) == 1


@covers("handlers.ask.message_received")
def test_edits_file_shares_and_bot_messages_are_not_questions(tutor_inproc):
    t = tutor_inproc
    channel = t.ws.dm_channel(LIN)
    t.ws.event("message", LIN, channel=channel, channel_type="im", subtype="message_changed", ts="1.1",
               message={"text": "what is lora"})
    t.ws.event("message", None, channel=channel, channel_type="im", bot_id="B1", text="what is lora", ts="1.2")
    t.ws.event("message", LIN, channel=GENERAL, channel_type="channel", text="what is lora", ts="1.3")
    t.settle()
    assert not t.ws.journal("chat.postMessage") and not questions(t)
