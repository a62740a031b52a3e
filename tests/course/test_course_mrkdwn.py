"""The lesson Markdown subset converted to Slack mrkdwn, and its escaping."""

from __future__ import annotations

from bot.course.markdown_rules import markdown_problems
from bot.course.mrkdwn import display_width, escape, to_mrkdwn, to_mrkdwn_chunks


def test_bold_and_italics():
    assert to_mrkdwn("**bold**, *italics* and _also_") == "*bold*, _italics_ and _also_"


def test_bold_inside_a_sentence_with_italics_next_to_it():
    assert to_mrkdwn("a **b** *c* d") == "a *b* _c_ d"


def test_inline_code_is_kept_and_escaped_but_not_formatted():
    assert to_mrkdwn("run `a<b && **c**` now") == "run `a&lt;b &amp;&amp; **c**` now"


def test_links_become_slack_links_unescaped():
    assert to_mrkdwn("see [the **HF** course](https://huggingface.co/learn?x=1) & more") == (
        "see <https://huggingface.co/learn?x=1|the *HF* course> &amp; more"
    )


def test_special_mentions_are_escaped():
    assert to_mrkdwn("hello <!channel> and <@U123>") == "hello &lt;!channel&gt; and &lt;@U123&gt;"
    assert escape("<!here> & <https://x|y>") == "&lt;!here&gt; &amp; &lt;https://x|y&gt;"


def test_fenced_code_drops_the_language_and_escapes():
    markdown = "```python\nif a < b:\n    print('&')\n```"
    assert to_mrkdwn(markdown) == "```\nif a &lt; b:\n    print('&amp;')\n```"


def test_heading_becomes_a_bold_line():
    assert to_mrkdwn("### Why **this** matters") == "*Why this matters*"


def test_lists_and_quotes():
    markdown = "- one\n- two `x`\n  continued\n\n1. first\n2. second\n\n> a *quote*\n> more"
    assert to_mrkdwn_chunks(markdown) == [
        "• one\n• two `x` continued",
        "1. first\n2. second",
        "&gt; a _quote_\n&gt; more".replace("&gt; ", "> "),
    ]


def test_paragraph_soft_wraps_join_and_hard_breaks_stay():
    assert to_mrkdwn("one\ntwo  \nthree\n\nfour") == "one two\nthree\n\nfour"


def test_table_becomes_aligned_code_block():
    markdown = "| Aspect | Scratch |\n|---|---|\n| **Data** | Millions |\n| Time | < a week |"
    assert to_mrkdwn(markdown) == (
        "```\n"
        "Aspect | Scratch\n"
        "-------+---------\n"
        "Data   | Millions\n"
        "Time   | &lt; a week\n"
        "```"
    )


def test_table_widths_count_wide_characters_twice():
    table = to_mrkdwn("| a | b |\n|---|---|\n| 日本 | x |\n| 📚 | y |")
    rows = table.split("\n")[1:-1]
    assert rows[0] == "a    | b" and rows[2] == "日本 | x" and rows[3] == "📚   | y"
    assert display_width("日本") == 4 and display_width("e\u0301") == 1


def test_markdown_rules_flag_what_the_subset_excludes():
    assert markdown_problems("fine **text** with `<b>` in code") == []
    assert "HTML" in markdown_problems("a <b>bold</b> word")[0]
    assert "images" in markdown_problems("![alt](https://x/y.png)")[0]
    assert "not closed" in markdown_problems("```python\nprint(1)\n")[0]
    assert "2800" in markdown_problems("word " * 700)[0]
