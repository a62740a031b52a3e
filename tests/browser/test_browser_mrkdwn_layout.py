"""mrkdwn lines lay out as one flow of text: every page of every lesson, and bullet and numbered
lines mixing bold, italic, code, links, emoji and mentions in a message, App Home and a modal.

The check is about geometry, not markup: a line's text pieces must read in order, left to right on
a row and then down, and every wrapped row must start at the line's left edge. Laying a line's
inline pieces out as flex items (side-by-side columns, the bug of issue 20) breaks both rules."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.course.loader import load_course
from bot.course.render import page_count
from tests.helpers import lesson_count
from sandbox import payloads
from sandbox.driver import Workspace
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

# Returns {lines, wrapped, problems} for the mrkdwn texts under an element. A line is the text
# between <br>s inside the nearest bullet line, quote or mrkdwn root; code blocks are left out.
LINE_LAYOUT = """(scope) => {
  const TOL = 6;  // px: an inline code's border and padding sit between a row's edge and its text
  const roots = scope.querySelectorAll(".mrkdwn, .section-text, .section-field, .bk-context-text, .choice-text");
  const result = { lines: 0, wrapped: 0, problems: [] };
  for (const root of roots) {
    const lines = new Map();  // holder -> (line number -> fragments: one per row of each text node)
    const breaks = new Map();  // holder -> how many line ends it has had so far
    const holder = (node) => node.parentElement.closest(".bullet-line, blockquote") || root;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.matches("br, .bullet-line, blockquote, pre")) {  // each ends the line around it
          const box = holder(node);
          breaks.set(box, (breaks.get(box) || 0) + 1);
        }
        continue;
      }
      if (node.parentElement.closest("pre, .bullet-mark")) continue;
      const box = holder(node);
      if (!lines.has(box)) lines.set(box, new Map());
      const rows = lines.get(box), index = breaks.get(box) || 0;
      if (!rows.has(index)) rows.set(index, []);
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width >= 1 && r.height >= 1) {
          rows.get(index).push({ text: node.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom });
        }
      }
    }
    for (const rows of lines.values()) {
      for (const frags of rows.values()) {
        if (!frags.length) continue;
        result.lines += 1;
        const edge = frags[0].left;
        const text = frags.map((f) => f.text).filter((t, i, all) => all.indexOf(t) === i).join("");
        let wrapped = false;
        for (let i = 1; i < frags.length; i++) {
          const prev = frags[i - 1], cur = frags[i];
          const mid = (cur.top + cur.bottom) / 2, prevMid = (prev.top + prev.bottom) / 2;
          const sameRow = (mid > prev.top && mid < prev.bottom) || (prevMid > cur.top && prevMid < cur.bottom);
          if (sameRow) {
            if (cur.left < prev.right - TOL) result.problems.push(`"${cur.text}" overlaps "${prev.text}" in: ${text}`);
          } else if (mid > prev.bottom) {
            wrapped = true;
            if (Math.abs(cur.left - edge) > TOL) {
              const x = Math.round(cur.left), from = Math.round(edge);
              result.problems.push(`"${cur.text}" wraps to x=${x}, not the line's edge x=${from} (a column) in: ${text}`);
            }
          } else {
            result.problems.push(`"${cur.text}" starts beside "${prev.text}", above its last row (a column): ${text}`);
          }
        }
        if (wrapped) result.wrapped += 1;
      }
    }
  }
  return result;
}"""


def assert_one_flow_per_line(locator, where: str) -> dict:
    layout = locator.evaluate(LINE_LAYOUT)
    assert layout["lines"] > 0, f"{where}: no mrkdwn lines found"
    assert not layout["problems"], f"{where}: lines laid out as columns:\n" + "\n".join(layout["problems"][:5])
    return layout


@pytest.mark.slow
def test_every_lesson_page_lays_out_each_line_as_one_flow(tutor, open_page):
    course = load_course()
    dm = tutor.ws.dm_channel("U0LIN")
    page = open_page(tutor.ws.url, "U0LIN")
    pages = wrapped = 0
    for lesson in course:
        total = page_count(lesson, course)
        page.fill("#composer-input", f"/lesson {lesson.id}")
        page.press("#composer-input", "Enter")
        for index in range(total):
            label = f"{lesson.header} (page {index + 1} of {total})"
            ts = tutor.ws.wait_for(lambda label=label: next(
                (m["ts"] for m in tutor.ws.messages(dm) if m.get("text") == label), None), message=label)
            message = page.locator(f".message[data-ts='{ts}']")
            message.locator("[data-block-type='context']").last.wait_for()  # rendered to its last block
            layout = assert_one_flow_per_line(message, label)
            pages, wrapped = pages + 1, wrapped + layout["wrapped"]
            if lesson.id == "3.2" and index == 0:
                bullet = message.locator(".bullet-line", has_text="Learning rate").first
                assert bullet.locator("b").count() >= 1
                message.evaluate("node => node.scrollIntoView({block: 'start'})")
                page.mouse.move(0, 0)  # no hover shading on the message
                screenshot(page, "lesson-bullets.png")
            if index < total - 1:
                message.locator("[data-action-id='lesson_continue']").click()
    assert pages == sum(page_count(lesson, course) for lesson in course) and len(course) == lesson_count()
    assert wrapped > 100, wrapped  # the check saw many wrapped lines, not only one-row ones


TOKEN = "xoxb-layout-token"
MIXED = ("Numbered and bulleted lines that wrap:\n"
         "1. *Bold first* then plain words, `inline code`, _italic words_ and a <https://example.com|link> "
         "before <@U0KOF> and an emoji 🎛️, long enough to wrap onto a second row in a narrow pane.\n"
         "• *Full fine-tuning of BERT-sized models:* between *1e-5 and 5e-5*. The BERT paper recommends "
         "trying `5e-5`, `3e-5` and `2e-5`; _the Trainer's default_ is 5e-5 🚀 ask <@U0LIN>.\n"
         "    ◦ A nested bullet with *bold*, `code`, _italic_ and <https://example.com/a|a second link> "
         "that also runs on long enough to wrap at least once.\n"
         "- `code first` then *bold* then words words words words words words words words words words.")


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.fixture
def ws():
    with Workspace(signing_secret="layout-secret", bot_token=TOKEN) as workspace:
        yield workspace


def test_mixed_bullet_and_numbered_lines_wrap_as_text_in_messages_home_and_modals(ws, open_page):
    client = WebClient(base_url=ws.api_url, token=TOKEN)
    client.chat_postMessage(channel="C0GENERAL", text=MIXED, blocks=[_section(MIXED)])
    client.chat_postMessage(channel="C0GENERAL", text=MIXED)
    client.views_publish(user_id="U0LIN", view={"type": "home", "blocks": [_section(MIXED)]})
    page = open_page(ws.url, "U0LIN", place="C0GENERAL")
    page.set_viewport_size({"width": 760, "height": 860})
    page.locator(".message").nth(1).wait_for()
    for n in range(2):
        layout = assert_one_flow_per_line(page.locator(".message").nth(n), f"message {n + 1}")
        assert layout["wrapped"] >= 4

    page.click("#nav-home")
    home = page.locator(".home-view")
    home.locator(".bullet-line").first.wait_for()
    assert assert_one_flow_per_line(home, "App Home")["wrapped"] >= 4

    client.views_open(trigger_id=payloads.new_trigger(ws.state, "U0LIN"),
                      view={"type": "modal", "title": {"type": "plain_text", "text": "Layout"},
                            "blocks": [_section(MIXED)]})
    modal = page.locator(".modal")
    modal.locator(".bullet-line").first.wait_for()
    assert assert_one_flow_per_line(modal, "modal")["wrapped"] >= 4
