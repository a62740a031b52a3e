"""Chat data for `task=chat`: read it, check it, split it. Pure Python (json, csv), no torch, so the
bot may run the report for `check=yes`; the trainer passes real token counts.

Two formats: JSONL whose lines are `{"messages": [{"role": "system"|"user"|"assistant", "content":
"..."}, ...]}`, or a CSV (or JSONL) with `prompt` and `response` columns (one user turn and its
answer). A file that cannot be read as one of them raises `DataError`; per-conversation problems
(roles, empty or over-long turns, duplicates, truncation, train/test overlap) go into a `ChatReport`,
whose errors block training and whose warnings say what is dropped or cut.

The trainer learns the LAST assistant turn of each conversation (earlier turns are context): the
loss is computed on that answer's tokens only (see chat_trainer.py).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.checks import Problem
from training.data import MAX_FILE_BYTES, read_text, sniff_format
from training.errors import DataError

ROLES = ("system", "user", "assistant")
MAX_MESSAGE_CHARS = 16_000  # one turn; a longer one is almost surely a pasted document or a bug
MAX_TURNS = 64
MAX_RECORDS = 50_000
MIN_EXAMPLES = 20  # fewer usable conversations than this cannot train and hold some out
FEW_EXAMPLES = 100
MAX_LENGTH_CAP = 1024  # tokens; longer conversations are cut from the end (the answer's ending)
PROMPT_NAMES = ("prompt", "question", "instruction", "input", "user")
RESPONSE_NAMES = ("response", "answer", "completion", "output", "assistant")
_SPACES = re.compile(r"\s+")


@dataclass
class Conversation:
    """One record: where it came from (line or row number) and its turns, as read."""

    line: int
    messages: list[dict]

    @property
    def prompt(self) -> list[dict]:
        """Every turn before the last assistant turn (the context the model answers)."""
        return self.messages[:-1]

    @property
    def answer(self) -> str:
        return self.messages[-1]["content"]

    @property
    def user_text(self) -> str:
        """The last user turn, which identifies a held-out prompt."""
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")

    def key(self) -> str:
        """Normalised prompt (all turns before the answer): equal keys are the same question."""
        return "\n".join(f"{m['role']}:{_norm(m['content'])}" for m in self.prompt)


@dataclass
class ChatData:
    conversations: list[Conversation]
    format: str  # "messages" | "pairs"
    encoding: str
    file_format: str  # "jsonl" | "csv" | "tsv"


@dataclass
class ChatReport:
    records: int = 0
    usable: int = 0
    format: str | None = None
    file_format: str | None = None
    encoding: str | None = None
    test_records: int | None = None
    max_length: int | None = None
    tokens: dict = field(default_factory=dict)  # min / median / p95 / max / total, and how counted
    truncated: int = 0
    truncated_tokens: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems)

    def add(self, level: str, code: str, message: str, fix: str) -> None:
        self.problems.append(Problem(level, code, message, fix))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["rows"], data["usable_rows"] = self.records, self.usable  # the names classify uses
        return data


# ----- reading ---------------------------------------------------------------------------------------

def load_chat(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> ChatData:
    """Read a chat data file; DataError (with a learner-facing message) when it cannot be used."""
    text, encoding = read_text(path, max_bytes)
    file_format = sniff_format(text, Path(path).suffix)
    if file_format == "jsonl":
        conversations, fmt = _read_jsonl(text)
    else:
        conversations, fmt = _read_table(text, "\t" if file_format == "tsv" else ",")
    if not conversations:
        raise DataError("header_only", "The file has no conversations in it.")
    return ChatData(conversations, fmt, encoding, file_format)


def _read_jsonl(text: str) -> tuple[list[Conversation], str]:
    conversations: list[Conversation] = []
    kinds: dict[str, int] = {}
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            raise DataError("bad_json", "The file is not valid JSON. Write one conversation per line: "
                            + _EXAMPLE_LINE) from None
        lines = list(enumerate(items if isinstance(items, list) else [items], start=1))
    else:
        lines = []
        for number, line in enumerate(io.StringIO(text), start=1):
            if not line.strip():
                continue
            try:
                lines.append((number, json.loads(line)))
            except (json.JSONDecodeError, RecursionError):
                raise DataError("bad_json", f"Line {number} is not valid JSON. Each line must be one "
                                "conversation: " + _EXAMPLE_LINE) from None
    for number, record in lines:
        if len(conversations) >= MAX_RECORDS:
            raise DataError("too_many_rows", f"The file has more than {MAX_RECORDS:,} conversations, the "
                            "limit. Keep a sample of a few thousand.")
        if not isinstance(record, dict):
            raise DataError("bad_json", f"Line {number} is not an object. Each line must be one "
                            "conversation: " + _EXAMPLE_LINE)
        if "messages" in record:
            kind = "messages"
            conversations.append(Conversation(number, _messages(record["messages"], number)))
        elif _pick(list(record), PROMPT_NAMES) is not None or _pick(list(record), RESPONSE_NAMES) is not None:
            kind = "pairs"
            keys = list(record)
            prompt_key, response_key = _pick(keys, PROMPT_NAMES), _pick(keys, RESPONSE_NAMES)
            _require_pair(prompt_key, response_key, keys)
            conversations.append(Conversation(number, [
                _turn("user", record.get(prompt_key), number), _turn("assistant", record.get(response_key), number)]))
        else:
            raise DataError("missing_messages", f"Line {number} has no `messages` list (its keys: "
                            f"{_names(list(record))}). Each line must be one conversation: " + _EXAMPLE_LINE)
        kinds.setdefault(kind, number)
        if len(kinds) > 1:
            first, second = sorted(kinds.items(), key=lambda kv: kv[1])
            raise DataError("mixed_formats", f"The file mixes two formats: line {first[1]} is a "
                            f"`{_KIND_NAMES[first[0]]}` record and line {second[1]} a `{_KIND_NAMES[second[0]]}` "
                            "record. Use one format for the whole file.")
    return conversations, next(iter(kinds), "messages")


def _read_table(text: str, delimiter: str) -> tuple[list[Conversation], str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise DataError("empty_file", "The file has no rows.")
        header = [h.strip() for h in header]
        prompt_idx = _pick(header, PROMPT_NAMES)
        response_idx = _pick(header, RESPONSE_NAMES)
        _require_pair(prompt_idx, response_idx, header)
        prompt_idx, response_idx = header.index(prompt_idx), header.index(response_idx)
        conversations = []
        for row in reader:
            if not any(value.strip() for value in row):
                continue
            if len(conversations) >= MAX_RECORDS:
                raise DataError("too_many_rows", f"The file has more than {MAX_RECORDS:,} rows, the limit. "
                                "Keep a sample of a few thousand.")
            number = reader.line_num
            cells = [row[i] if i < len(row) else "" for i in (prompt_idx, response_idx)]
            conversations.append(Conversation(number, [_turn("user", cells[0], number),
                                                       _turn("assistant", cells[1], number)]))
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise DataError("message_too_long", f"Row {reader.line_num} has a value longer than the CSV "
                            f"reader's limit; a turn may have at most {MAX_MESSAGE_CHARS:,} characters.") from None
        raise DataError("bad_csv", f"The CSV cannot be parsed ({exc}). Check for an unclosed quote, or save "
                        "it again as CSV UTF-8.") from None
    return conversations, "pairs"


def _require_pair(prompt, response, columns: list[str]) -> None:
    if prompt is None and response is None:
        if any(c.lower() in ("text", "label") for c in columns):
            hint = " It looks like classification data (text and label): use `task=classify` for that."
        else:
            hint = ""
        raise DataError("missing_prompt_response", f"No `prompt` and `response` columns were found (the "
                        f"columns are: {_names(columns)}).{hint} A chat file is JSONL with `messages`, or a "
                        "CSV with a `prompt` and a `response` column.")
    if response is None:
        raise DataError("missing_response_column", f"There is a `{prompt}` column but no `response` column "
                        f"(the columns are: {_names(columns)}). The model learns from the answers: add a "
                        "`response` column with the answer you want for each prompt.")
    if prompt is None:
        raise DataError("missing_prompt_column", f"There is a `{response}` column but no `prompt` column "
                        f"(the columns are: {_names(columns)}). Add a `prompt` column with the user's message.")


def _messages(value, number: int) -> list[dict]:
    if not isinstance(value, list):
        raise DataError("bad_messages", f"Line {number}: `messages` must be a list of turns such as "
                        '`{"role": "user", "content": "..."}`.')
    if len(value) > MAX_TURNS:
        raise DataError("too_many_turns", f"Line {number} has {len(value)} turns; the limit is {MAX_TURNS}.")
    turns = []
    for message in value:
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise DataError("bad_messages", f"Line {number}: each turn must be an object with a `role` "
                            'and a `content`, such as `{"role": "user", "content": "..."}`.')
        role = message["role"]
        turns.append(_turn(role if isinstance(role, str) else repr(role), message["content"], number))
    return turns


def _turn(role: str, content, number: int) -> dict:
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise DataError("bad_content", f"Line {number}: a turn's `content` must be text, not "
                        f"{type(content).__name__}.")
    if len(content) > MAX_MESSAGE_CHARS:
        raise DataError("message_too_long", f"Line {number} has a turn of {len(content):,} characters; the "
                        f"limit is {MAX_MESSAGE_CHARS:,}. Shorten it (a small model learns from short, "
                        "focused answers) or leave that conversation out.")
    return {"role": role.strip().lower(), "content": content.strip()}


def _pick(names: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {n.lower(): n for n in names}
    return next((lowered[w] for w in wanted if w in lowered), None)


# ----- checking --------------------------------------------------------------------------------------

def role_problem(messages: list[dict]) -> str | None:
    """Why a conversation cannot be trained on ("bad_role", "no_assistant", "roles_order", "no_user"),
    or None. Allowed: an optional system turn first, then user and assistant turns alternating,
    starting with user and ending with assistant."""
    roles = [m["role"] for m in messages]
    if any(r not in ROLES for r in roles):
        return "bad_role"
    if "assistant" not in roles:
        return "no_assistant"
    if "user" not in roles:
        return "no_user"
    body = roles[1:] if roles[0] == "system" else roles
    if "system" in body or not body or body[0] != "user" or body[-1] != "assistant":
        return "roles_order"
    if any(a == b for a, b in zip(body, body[1:])):
        return "roles_order"
    return None


def estimate_tokens(conversation: Conversation) -> tuple[int, int]:
    """(all tokens, prompt tokens) estimated at 4 characters a token plus 4 per turn for the template."""
    total = sum(math.ceil(len(m["content"]) / 4) + 4 for m in conversation.messages)
    answer = math.ceil(len(conversation.answer) / 4) + 4
    return total, total - answer


def check_chat(data: ChatData, test: ChatData | None = None, lengths: list[tuple[int, int]] | None = None,
               max_length: int | None = None) -> tuple[ChatReport, list[Conversation], list[Conversation] | None]:
    """The report, the usable conversations and the usable test conversations (None without a test
    file). `lengths` are (all, prompt) token counts per conversation of `data` (estimated when None);
    `max_length` defaults to the longest usable conversation, capped at MAX_LENGTH_CAP."""
    report = ChatReport(records=len(data.conversations), format=data.format, file_format=data.file_format,
                        encoding=data.encoding)
    counted = "tokenizer" if lengths is not None else "estimated (4 characters a token)"
    if lengths is None:
        lengths = [estimate_tokens(c) for c in data.conversations]
    usable, usable_lengths = _structural(data.conversations, lengths, report, "")
    usable, usable_lengths = _deduplicate(usable, usable_lengths, report)
    if usable_lengths:
        ordered = sorted(n for n, _ in usable_lengths)
        report.tokens = {"min": ordered[0], "median": ordered[len(ordered) // 2],
                         "p95": ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)],
                         "max": ordered[-1], "total": sum(ordered), "counted": counted}
    report.max_length = max_length or pick_chat_max_length([n for n, _ in usable_lengths])
    usable = _truncation(usable, usable_lengths, report)
    test_usable = None
    if test is not None:
        test_usable, _ = _structural(test.conversations, [estimate_tokens(c) for c in test.conversations],
                                     report, "test file: ")
        report.test_records = len(test_usable)
        if not test_usable:
            report.add("error", "empty_test", "The test file has no usable conversations.",
                       "Give a test file in the same format as the training file.")
        else:
            test_keys = {c.key() for c in test_usable}
            overlap = [c for c in usable if c.key() in test_keys]
            if overlap:
                report.add("warning", "train_test_overlap", f"{len(overlap)} prompt(s) are in both the training "
                           "and the test file; they are left out of training so the test stays fair.",
                           "Remove them from one of the files.")
                usable = [c for c in usable if c.key() not in test_keys]
    report.usable = len(usable)
    if report.usable < MIN_EXAMPLES:
        report.add("error", "too_few_examples", f"Only {report.usable} usable conversation(s); a chat "
                   f"fine-tune needs at least {MIN_EXAMPLES} (some are held out to compare base and tuned "
                   "answers).", f"Add examples: {FEW_EXAMPLES}+ in one consistent style work well.")
    elif report.usable < FEW_EXAMPLES:
        report.add("warning", "few_examples", f"{report.usable} usable conversations: enough to try, but "
                   f"{FEW_EXAMPLES}+ give a steadier style.", "Add examples if you can.")
    return report, usable, test_usable


def pick_chat_max_length(lengths: list[int], cap: int = MAX_LENGTH_CAP) -> int:
    """The longest conversation, rounded up to a multiple of 8, at most `cap`: a chat answer cut short
    loses its ending (a sign-off, the last step), so the default keeps whole conversations."""
    if not lengths:
        return 64
    return int(min(cap, max(32, math.ceil(max(lengths) / 8) * 8)))


def _structural(conversations: list[Conversation], lengths: list[tuple[int, int]], report: ChatReport,
                where: str) -> tuple[list[Conversation], list[tuple[int, int]]]:
    bad: dict[str, list[Conversation]] = {}
    empty: list[Conversation] = []
    usable, usable_lengths = [], []
    for conversation, length in zip(conversations, lengths):
        problem = role_problem(conversation.messages)
        if problem:
            bad.setdefault(problem, []).append(conversation)
        elif any(not m["content"] for m in conversation.messages if m["role"] != "system"):
            empty.append(conversation)
        else:
            usable.append(conversation)
            usable_lengths.append(length)
    for code, items in bad.items():
        message, fix = _ROLE_TEXT[code]
        example = items[0]
        detail = ""
        if code == "bad_role":
            odd = next(m["role"] for m in example.messages if m["role"] not in ROLES)
            detail = f" (line {example.line} uses `{_short(odd)}`)"
        report.add("error", code, f"{where}{len(items)} conversation(s) {message}{detail}; first at "
                   f"line(s) {_lines(items)}.", fix)
    if empty:
        report.add("warning", "empty_turns", f"{where}{len(empty)} conversation(s) have an empty user or "
                   f"assistant turn (line(s) {_lines(empty)}); they are skipped.", "Fill them in or remove them.")
    return usable, usable_lengths


def _deduplicate(usable: list[Conversation], lengths: list[tuple[int, int]], report: ChatReport):
    seen: dict[str, str] = {}
    exact = conflicting = 0
    kept, kept_lengths = [], []
    for conversation, length in zip(usable, lengths):
        key = conversation.key()
        if key in seen:
            if seen[key] == _norm(conversation.answer):
                exact += 1
            else:
                conflicting += 1
            continue
        seen[key] = _norm(conversation.answer)
        kept.append(conversation)
        kept_lengths.append(length)
    if exact:
        report.add("warning", "duplicates", f"{exact} conversation(s) repeat an earlier one; each is used "
                   "once.", "Remove the copies so that none ends up in both training and the held-out prompts.")
    if conflicting:
        report.add("warning", "duplicate_prompts", f"{conflicting} prompt(s) appear again with a different "
                   "answer; the first answer is kept.", "Keep one answer per prompt.")
    answers = Counter(_norm(c.answer) for c in kept)
    repeated = sum(n for n in answers.values() if n > 1)
    if kept and repeated > len(kept) // 2:
        report.add("warning", "same_answers", f"{repeated} conversations share their answer with another; "
                   "the model may learn to give one canned reply.", "Write answers that fit each prompt.")
    return kept, kept_lengths


def _truncation(usable: list[Conversation], lengths: list[tuple[int, int]], report: ChatReport):
    limit = report.max_length
    cut = [(c, total, prompt) for c, (total, prompt) in zip(usable, lengths) if total > limit]
    lost = [c for c, _, prompt in cut if prompt >= limit - 4]
    report.truncated = len(cut) - len(lost)
    report.truncated_tokens = sum(total - limit for c, total, prompt in cut if prompt < limit - 4)
    if report.truncated:
        report.add("warning", "long_conversations", f"{report.truncated} conversation(s) are longer than "
                   f"{limit} tokens: truncation cuts {report.truncated_tokens} token(s) from the ends of their "
                   "answers, so the model sees those answers without their endings.",
                   "Shorten the longest answers, or split long conversations.")
    if lost:
        report.add("warning", "prompt_too_long", f"{len(lost)} conversation(s) have prompts of {limit}+ "
                   f"tokens, leaving no room for the answer (line(s) {_lines(lost)}); they are skipped.",
                   "Shorten those prompts.")
    dropped = {id(c) for c in lost}
    return [c for c in usable if id(c) not in dropped]


# ----- splitting -------------------------------------------------------------------------------------

@dataclass
class ChatSplits:
    train: list[Conversation]
    val: list[Conversation]
    test: list[Conversation]

    def sizes(self) -> dict:
        return {"train": len(self.train), "validation": len(self.val), "test": len(self.test)}


def split_chat(usable: list[Conversation], test: list[Conversation] | None = None, *, seed: int = 42,
               test_size: int | None = None, val_size: int | None = None) -> ChatSplits:
    """Seeded held-out prompts (test) and a validation set (for early stopping), the rest to train.
    Prompts are already unique (check_chat), so no prompt is in two splits. Default sizes: a tenth
    (5 to 16: each held-out prompt is answered twice, base and tuned, the slowest part of a CPU run)
    held out, a twentieth (4 to 32) for validation."""
    order = list(usable)
    random.Random(seed).shuffle(order)
    n = len(order)
    if test is None:
        test_size = test_size or min(16, max(5, round(0.1 * n)))
        test, order = order[:test_size], order[test_size:]
    val_size = val_size or min(32, max(4, round(0.05 * n)))
    val_size = min(val_size, max(1, len(order) // 5))
    return ChatSplits(train=order[val_size:], val=order[:val_size], test=list(test))


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.strip().lower())


def _lines(items: list[Conversation]) -> str:
    return ", ".join(str(c.line) for c in items[:5]) + (" …" if len(items) > 5 else "")


def _names(names: list[str]) -> str:
    return ", ".join(f"`{_short(n)}`" for n in names[:20]) or "(none)"


def _short(text: str) -> str:
    text = str(text)
    return (text if len(text) <= 40 else text[:37] + "...").replace("`", "'")


_EXAMPLE_LINE = ('`{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": '
                 '"..."}]}`')
_KIND_NAMES = {"messages": "messages", "pairs": "prompt/response"}
_ROLE_TEXT = {
    "bad_role": ("use a role other than `system`, `user` and `assistant`",
                 "Rename the roles: `user` for the customer, `assistant` for the answer, `system` for instructions."),
    "no_assistant": ("have no `assistant` turn, so there is no answer to learn",
                     "Add the answer you want as the last turn, with role `assistant`."),
    "no_user": ("have no `user` turn", "Add the user's message before the assistant's answer."),
    "roles_order": ("have their turns in an order a chat model cannot learn from (system first, then "
                    "user and assistant alternating, ending with the assistant)",
                    "Reorder the turns, or merge two turns of the same role into one."),
}


_FIX = {
    "file_too_large": "Upload a smaller file: a few hundred to a few thousand conversations.",
    "empty_file": "Upload a JSONL file with one conversation per line, or a CSV with `prompt` and `response`.",
    "header_only": "Add conversations below the header, one per row.",
    "binary_file": "Export the data as JSONL or CSV (UTF-8).",
    "bad_json": "Write one conversation per line: " + _EXAMPLE_LINE,
    "bad_csv": "Open it in a spreadsheet and save it as CSV UTF-8.",
    "mixed_formats": "Use `messages` on every line, or `prompt` and `response` on every line.",
    "message_too_long": "Shorten that turn, or leave the conversation out.",
}


def check_chat_file(path: str | Path, test_path: str | Path | None = None,
                    max_bytes: int = MAX_FILE_BYTES) -> ChatReport:
    """The chat data report for a file (and an optional test file); never raises for bad data.
    Token counts are estimated here; the trainer counts them with the model's tokenizer."""
    try:
        data = load_chat(path, max_bytes)
        test = load_chat(test_path, max_bytes) if test_path is not None else None
    except DataError as exc:
        report = ChatReport()
        report.add("error", exc.code, exc.message, _FIX.get(exc.code, "Fix the file and try again."))
        return report
    return check_chat(data, test)[0]
