"""The lesson Markdown subset (docs/lesson-format.md) converted to Slack mrkdwn.

Slack's mrkdwn is not Markdown: bold is `*b*`, italics `_i_`, links `<url|text>`, and `&`, `<`, `>`
must be escaped everywhere else, or `<!channel>` in a lesson (or a learner's text) would ping a whole
channel. `to_mrkdwn_chunks` keeps paragraphs, lists, tables and code blocks apart so that the renderer
can split a long body between Slack sections without cutting a code block in two.
"""

from __future__ import annotations

import re
import unicodedata

from bot.slack import escape  # one escaping rule for the whole bot; re-exported for the course code

_FENCE = re.compile(r"^\s*```")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_STAR_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_BOLD_MARK = "\x01"


def inline(text: str) -> str:
    """Convert one line of inline Markdown (bold, italics, code, links) to escaped mrkdwn."""
    saved: list[str] = []

    def keep(value: str) -> str:
        saved.append(value)
        return f"\x00{len(saved) - 1}\x00"

    text = _CODE_SPAN.sub(lambda m: keep(f"`{escape(m.group(1))}`"), text)
    text = _LINK.sub(lambda m: keep(f"<{m.group(2)}|{_link_label(m.group(1))}>"), text)
    text = escape(text)
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(1)}{_BOLD_MARK}", text)
    text = _STAR_ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    text = text.replace(_BOLD_MARK, "*")
    while _PLACEHOLDER.search(text):
        text = _PLACEHOLDER.sub(lambda m: saved[int(m.group(1))], text)
    return text


def plain_inline(text: str) -> str:
    """Inline Markdown reduced to its words, for places with no formatting (tables, fallbacks)."""
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _BOLD.sub(lambda m: m.group(1), text)
    text = _STAR_ITALIC.sub(lambda m: m.group(1), text)
    return _CODE_SPAN.sub(lambda m: m.group(1), text)


def _link_label(label: str) -> str:
    """A link label cannot hold `|` or `>`; escaping handles `>`, a lookalike replaces `|`."""
    return inline(label.replace("|", "¦"))


def to_mrkdwn(markdown: str) -> str:
    """The whole text as one mrkdwn string, blocks separated by a blank line."""
    return "\n\n".join(to_mrkdwn_chunks(markdown))


def to_mrkdwn_chunks(markdown: str) -> list[str]:
    """Split Markdown into blocks (paragraph, list, quote, table, code) and convert each one."""
    lines = markdown.replace("\r\n", "\n").replace("\t", "    ").split("\n")
    chunks: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif _FENCE.match(line):
            i = _take_code(lines, i, chunks)
        elif _is_table_start(lines, i):
            i = _take_table(lines, i, chunks)
        elif _HEADING.match(line):
            heading = _HEADING.match(line).group(1).replace("**", "")
            chunks.append(f"*{inline(heading)}*")
            i += 1
        elif _BULLET.match(line) or _NUMBERED.match(line):
            i = _take_list(lines, i, chunks)
        elif _QUOTE.match(line):
            i = _take_quote(lines, i, chunks)
        else:
            i = _take_paragraph(lines, i, chunks)
    return chunks


def _starts_block(lines: list[str], i: int) -> bool:
    line = lines[i]
    return bool(
        not line.strip()
        or _FENCE.match(line)
        or _HEADING.match(line)
        or _BULLET.match(line)
        or _NUMBERED.match(line)
        or _QUOTE.match(line)
        or _is_table_start(lines, i)
    )


def _take_code(lines: list[str], i: int, chunks: list[str]) -> int:
    """A fenced block: the language line is dropped, the code is kept verbatim (but escaped)."""
    body: list[str] = []
    i += 1
    while i < len(lines) and not _FENCE.match(lines[i]):
        body.append(lines[i])
        i += 1
    chunks.append(code_block("\n".join(body)))
    return i + 1


def code_block(code: str) -> str:
    """Preformatted text in mrkdwn; an empty block would show the fence characters."""
    return f"```\n{escape(code.strip(chr(10))) or ' '}\n```"


def _take_paragraph(lines: list[str], i: int, chunks: list[str]) -> int:
    """Soft-wrapped lines join with a space; two trailing spaces or a backslash force a break."""
    text = ""
    while i < len(lines) and (not text or not _starts_block(lines, i)):
        line = lines[i]
        hard_break = line.endswith("  ") or line.endswith("\\")
        content = line.rstrip(" \\").strip()
        text += content + ("\n" if hard_break else " ")
        i += 1
    chunks.append("\n".join(inline(part.strip()) for part in text.strip().split("\n")))
    return i


def _take_list(lines: list[str], i: int, chunks: list[str]) -> int:
    """One level of `-` bullets or `1.` numbers; indented continuation lines join their item."""
    items: list[str] = []
    while i < len(lines) and lines[i].strip():
        bullet, numbered = _BULLET.match(lines[i]), _NUMBERED.match(lines[i])
        if bullet:
            items.append(f"• {inline(bullet.group(1).strip())}")
        elif numbered:
            items.append(f"{numbered.group(1)}. {inline(numbered.group(2).strip())}")
        elif items and lines[i].startswith(" ") and not _starts_block(lines, i):
            items[-1] += " " + inline(lines[i].strip())
        else:
            break
        i += 1
    chunks.append("\n".join(items))
    return i


def _take_quote(lines: list[str], i: int, chunks: list[str]) -> int:
    quoted: list[str] = []
    while i < len(lines) and _QUOTE.match(lines[i]):
        quoted.append("> " + inline(_QUOTE.match(lines[i]).group(1).strip()))
        i += 1
    chunks.append("\n".join(quoted))
    return i


def _is_table_start(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and bool(_TABLE_ROW.match(lines[i]))
        and bool(_TABLE_SEPARATOR.match(lines[i + 1]))
    )


def _take_table(lines: list[str], i: int, chunks: list[str]) -> int:
    """Slack has no tables: render aligned columns in a code block, widths measured on screen."""
    rows = [_cells(lines[i])]
    i += 2
    while i < len(lines) and _TABLE_ROW.match(lines[i]):
        rows.append(_cells(lines[i]))
        i += 1
    chunks.append(code_block(format_table(rows)))
    return i


def _cells(row: str) -> list[str]:
    return [plain_inline(cell.strip()) for cell in row.strip().strip("|").split("|")]


def format_table(rows: list[list[str]]) -> str:
    """Rows padded to common column widths, a rule under the header row."""
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    widths = [max(display_width(row[c]) for row in rows) for c in range(columns)]

    def line(row: list[str]) -> str:
        cells = (cell + " " * (widths[c] - display_width(cell)) for c, cell in enumerate(row))
        return " | ".join(cells).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def display_width(text: str) -> int:
    """Columns a monospace font gives the text: wide East Asian and emoji take two, marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or char in "\u200d\ufe0e\ufe0f":
            continue
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        width += 2 if wide else 1
    return width
