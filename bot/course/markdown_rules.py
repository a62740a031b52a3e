"""Checks that a Markdown field stays inside the subset the renderer supports.

Anything outside it (HTML, images, nested lists, wide tables) would reach Slack as stray characters,
so the validator names the problem instead of letting a lesson render badly.
"""

from __future__ import annotations

import re

from bot.course.mrkdwn import to_mrkdwn_chunks

MAX_BLOCK_CHARS = 2800
MAX_TABLE_COLUMNS = 4
# Code lines a phone shows with little wrapping (Slack wraps, but wrapped code is hard to read).
MAX_CODE_LINE = 72

_FENCED = re.compile(r"^\s*```.*?^\s*```[^\n]*$", re.S | re.M)
_CODE_SPAN = re.compile(r"`[^`\n]+`")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>")
_IMAGE = re.compile(r"!\[[^\]]*\]\(")
_NESTED_ITEM = re.compile(r"^ {2,}(?:[-*+]|\d+[.)])\s.*$", re.M)
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$", re.M)


def markdown_problems(text: str) -> list[str]:
    """Plain-language problems with one Markdown field; empty when it is fine."""
    problems: list[str] = []
    if len(re.findall(r"^\s*```", text, re.M)) % 2:
        problems.append("a ``` code block is not closed")
    for block in _FENCED.finditer(text):
        lines = block.group(0).split("\n")[1:-1]
        longest = max(lines, key=len, default="")
        if len(longest.rstrip()) > MAX_CODE_LINE:
            problems.append(f"a code line is {len(longest.rstrip())} characters (at most "
                            f"{MAX_CODE_LINE}, to read on a phone): {longest.strip()[:40]!r}...")
    prose = _CODE_SPAN.sub("", _FENCED.sub("", text))
    if _HTML_TAG.search(prose):
        problems.append(f"HTML is not part of the Markdown subset: {_HTML_TAG.search(prose).group(0)}")
    if _IMAGE.search(prose):
        problems.append("images are not part of the Markdown subset")
    if _NESTED_ITEM.search(prose):
        problems.append(f"nested lists are not supported: {_NESTED_ITEM.search(prose).group(0).strip()[:60]!r}")
    for separator in _TABLE_SEPARATOR.finditer(prose):
        columns = len([cell for cell in separator.group(0).strip().strip("|").split("|")])
        if columns > MAX_TABLE_COLUMNS:
            problems.append(f"a table has {columns} columns (at most {MAX_TABLE_COLUMNS})")
    for chunk in to_mrkdwn_chunks(text):
        if len(chunk) > MAX_BLOCK_CHARS:
            start = chunk[:40].replace("\n", " ")
            problems.append(
                f"a paragraph, list, table or code block is {len(chunk)} characters in Slack "
                f"(at most {MAX_BLOCK_CHARS}); split it: {start!r}..."
            )
    return problems
