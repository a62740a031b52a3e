"""Block Kit pages and quiz messages: within Slack's limits, parseable by slack_sdk, and correct."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from slack_sdk.models.blocks import Block

from bot.course.limits import message_problems
from bot.course.loader import Course, read_lesson
from bot.course.render import (
    builder_url,
    deeper_page_count,
    lesson_pages,
    page_count,
    render_answered_question,
    render_page,
    render_question,
)
from course_paths import FIXTURE_CONTENT, REAL_CONTENT

OWNER = "U0OWNER1"


def _all_messages(lesson, course):
    messages = lesson_pages(lesson, course, OWNER)
    first_deeper = page_count(lesson, course)
    messages += [render_page(lesson, course, first_deeper + n, OWNER)
                 for n in range(deeper_page_count(lesson))]
    for q, question in enumerate(lesson.quiz):
        messages.append(render_question(lesson, q, OWNER))
        for chosen in range(len(question.choices)):
            messages.append(render_answered_question(lesson, q, chosen, OWNER))
    return messages


def _courses() -> list[tuple[str, Course]]:
    """The fixture course and every real lesson file that parses (data sets not required)."""
    from bot.course.loader import load_course

    real = [read_lesson(path, REAL_CONTENT, check_datasets=False)[0]
            for path in sorted((REAL_CONTENT / "lessons").glob("*.yaml"))]
    real_course = Course("real", (), tuple(lesson for lesson in real if lesson is not None))
    return [("fixture", load_course(FIXTURE_CONTENT)), ("real", real_course)]


CASES = [(name, course, lesson) for name, course in _courses() for lesson in course]


@pytest.mark.parametrize("name,course,lesson", CASES, ids=[f"{n}-{l.id}" for n, _, l in CASES])
def test_every_message_fits_slack_and_parses(name, course, lesson):
    sandbox_check = _sandbox_checker()
    for message in _all_messages(lesson, course):
        assert message_problems(message) == [], message_problems(message)
        for block in message["blocks"]:
            assert Block.parse(block).to_dict() == block
        if sandbox_check is not None:
            assert not sandbox_check(message["blocks"], "message")


@pytest.mark.parametrize("name,course,lesson", CASES, ids=[f"{n}-{l.id}" for n, _, l in CASES])
def test_every_section_appears_once_in_reading_order(name, course, lesson):
    headers = [block["text"]["text"] for page in lesson_pages(lesson, course, OWNER)
               for block in page["blocks"] if block["type"] == "header"]
    assert headers == [lesson.header] + [section.heading for section in lesson.sections]


def _sandbox_checker():
    try:
        from sandbox.blockkit import check_blocks
    except ImportError:
        return None
    return check_blocks


def test_first_page_has_header_progress_and_objectives(fixture_course):
    lesson = fixture_course.lesson("1.1")
    blocks = render_page(lesson, fixture_course, 0, OWNER)["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "📚 Lesson 1.1: What is Fine-Tuning?", "emoji": True}}
    assert blocks[1]["elements"][0]["text"] == (
        "Lesson 1 of 3 ▓░░ · 8 min · Beginner · Prerequisites: Basic Python knowledge, Curiosity &lt;3"
    )
    assert blocks[2]["text"]["text"].startswith("*🎯 By the end of this lesson, you will:*\n• Understand what *fine-tuning* is")


def test_long_lesson_is_paged_with_continue_buttons(fixture_course):
    lesson = fixture_course.lesson("1.1")
    pages = lesson_pages(lesson, fixture_course, OWNER)
    assert 3 <= len(pages) == page_count(lesson, fixture_course) <= 6
    for index, page in enumerate(pages[:-1]):
        footer, button_row = page["blocks"][-2:]
        assert footer["elements"][0]["text"] == f"Page {index + 1} of {len(pages)}"
        [button, ask] = button_row["elements"]
        assert button["action_id"] == "lesson_continue" and button["style"] == "primary"
        assert json.loads(button["value"]) == {"l": "1.1", "p": index + 1, "u": OWNER}
        assert ask["action_id"] == "tutor_ask_about" and json.loads(ask["value"]) == {"l": "1.1", "j": 0, "u": OWNER}
    assert render_page(lesson, fixture_course, 1, OWNER) == pages[1]
    with pytest.raises(IndexError):
        render_page(lesson, fixture_course, len(pages), OWNER)


def test_last_page_wraps_up_with_exercise_buttons_and_quiz_notice(fixture_course):
    lesson = fixture_course.lesson("1.1")
    last = lesson_pages(lesson, fixture_course, OWNER)[-1]
    text = "\n".join(b["text"]["text"] for b in last["blocks"] if b["type"] == "section")
    for title in ("🔑 Key concepts", "📝 Summary", "🤔 Self-check", "🧪 Exercise: Fine-tune on the support tickets",
                  "👀 What to look for", "➡️ Coming next", "📖 Resources"):
        assert f"*{title}*" in text
    assert "<https://huggingface.co/learn/llm-course/chapter3/1|Hugging Face course, chapter 3>" in text
    buttons = [e for b in last["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["exercise_run_0", "exercise_run_1", "tutor_ask_about"]
    assert json.loads(buttons[1]["value"]) == {"l": "1.1", "args": "data=support_tickets check=yes", "u": OWNER}
    assert "a quiz of 4 questions" in last["blocks"][-2]["elements"][0]["text"]


def test_quoted_channel_mention_is_escaped_on_the_page(fixture_course):
    lesson = fixture_course.lesson("1.1")
    dumped = json.dumps(lesson_pages(lesson, fixture_course, OWNER), ensure_ascii=False)
    assert "<!channel>" not in dumped and "&lt;!channel&gt;" in dumped


def test_question_has_one_button_per_choice(fixture_course):
    lesson = fixture_course.lesson("1.1")
    message = render_question(lesson, 1, OWNER)
    assert message["blocks"][0]["text"]["text"].startswith("*Question 2 of 4*\n_Scenario:_ 5,000")
    buttons = message["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Yes", "No"]
    assert [b["action_id"] for b in buttons] == ["quiz_answer_0", "quiz_answer_1"]
    assert json.loads(buttons[1]["value"]) == {"l": "1.1", "q": "reviews_5000", "c": 1, "u": OWNER}


def test_answered_question_marks_right_and_wrong(fixture_course):
    lesson = fixture_course.lesson("1.1")
    wrong = render_answered_question(lesson, 0, 0, OWNER)
    assert all(block["type"] != "actions" for block in wrong["blocks"])
    choices = wrong["blocks"][1]["text"]["text"]
    assert "❌ *Random weights*  ← your answer" in choices
    assert "✅ *A pre-trained model*  ← right answer" in choices
    assert "The right answer is *A pre-trained model*" in wrong["blocks"][2]["text"]["text"]
    assert "It starts from a *pre-trained* model." in wrong["blocks"][2]["text"]["text"]

    right = render_answered_question(lesson, 0, 1, OWNER)
    assert "✅ *A pre-trained model*  ← your answer" in right["blocks"][1]["text"]["text"]
    assert right["blocks"][2]["text"]["text"].startswith("*Right!*")


def test_builder_url_holds_the_blocks(fixture_course):
    message = render_question(fixture_course.lesson("1.2"), 0, OWNER)
    url = builder_url(message)
    prefix = "https://app.slack.com/block-kit-builder/#"
    assert url.startswith(prefix)
    assert json.loads(unquote(url[len(prefix):])) == {"blocks": message["blocks"]}


def test_limits_catch_broken_messages():
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    button = {"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                              "text": {"type": "plain_text", "text": "b" * 76}}]}
    problems = message_problems({"text": "t", "blocks": [too_long, header, button] + [{"type": "divider"}] * 48})
    assert "51 blocks (at most 50)" in problems
    assert any("block 0 (section): text is 3001 characters" in p for p in problems)
    assert any("block 1 (header): text is 151 characters" in p for p in problems)
    assert any("block 2 (actions): button 0 text is 76 characters" in p for p in problems)
    assert message_problems({"text": "", "blocks": []}) == ["the message has no fallback text", "the message has no blocks"]


@pytest.mark.parametrize("lesson_id", ["4.1", "3.2"])
def test_go_deeper_pages_follow_the_lesson_and_stay_out_of_its_pages(lesson_id):
    course = dict(_courses())["real"]
    lesson = course.lesson(lesson_id)
    pages = page_count(lesson, course)
    main = json.dumps(lesson_pages(lesson, course, OWNER))
    assert lesson.go_deeper and all(s.heading not in main for s in lesson.go_deeper)
    button = render_page(lesson, course, pages - 1, OWNER)["blocks"][-1]["elements"][0]
    assert "Go deeper (optional)" in button["text"]["text"]
    assert json.loads(button["value"])["p"] == pages  # the first page after the lesson's own
    deeper = [render_page(lesson, course, pages + n, OWNER) for n in range(deeper_page_count(lesson))]
    text = json.dumps(deeper, ensure_ascii=False)
    assert all(s.heading in text for s in lesson.go_deeper)
    with pytest.raises(IndexError):
        render_page(lesson, course, pages + len(deeper), OWNER)
