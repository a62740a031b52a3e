"""Chat data: reading JSONL `messages` and prompt/response CSVs, the report (roles, empty and long
turns, duplicates, token counts and truncation, train/test overlap), splits, and bad inputs that each
get a clear message instead of a traceback."""

from __future__ import annotations

import json

import pytest
from chat_toydata import SYSTEM, toy_conversations, write_jsonl, write_pairs_csv

from training.chat_data import (MAX_MESSAGE_CHARS, MIN_EXAMPLES, check_chat, check_chat_file, load_chat,
                                role_problem, split_chat)


def _write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _conv(*turns):
    return {"messages": [{"role": r, "content": c} for r, c in turns]}


def _good(n=30):
    return toy_conversations(n)


def test_reads_messages_jsonl(tmp_path):
    data = load_chat(write_jsonl(tmp_path / "chat.jsonl", _good(25)))
    assert data.format == "messages" and data.file_format == "jsonl"
    assert len(data.conversations) == 25
    first = data.conversations[0]
    assert [m["role"] for m in first.prompt] == ["system", "user"]
    assert first.answer.startswith("Hi there") and first.line == 1


def test_reads_prompt_response_csv(tmp_path):
    data = load_chat(write_pairs_csv(tmp_path / "pairs.csv", _good(25)))
    assert data.format == "pairs" and data.file_format == "csv"
    assert [m["role"] for m in data.conversations[0].messages] == ["user", "assistant"]
    report, usable, _ = check_chat(data)
    assert report.ok and report.usable == 25 == len(usable)


def test_clean_data_report(tmp_path):
    report = check_chat_file(write_jsonl(tmp_path / "chat.jsonl", _good(120)))
    assert report.ok and report.records == report.usable == 120
    assert report.tokens["counted"].startswith("estimated") and report.tokens["max"] >= report.tokens["median"]
    assert report.truncated == 0 and report.max_length >= report.tokens["max"]
    assert not report.problems


def test_duplicates_and_conflicting_answers_are_dropped(tmp_path):
    records = _good(30)
    records.append(records[0])
    changed = json.loads(json.dumps(records[1]))
    changed["messages"][2]["content"] = "Hi there, thanks for reaching out!\nSomething else."
    records.append(changed)
    report, usable, _ = check_chat(load_chat(write_jsonl(tmp_path / "d.jsonl", records)))
    codes = {p.code for p in report.problems}
    assert {"duplicates", "duplicate_prompts"} <= codes and report.ok
    assert report.usable == 30 == len({c.key() for c in usable})


def test_truncation_says_what_it_cuts():
    data = load_chat_from_records(_good(30))
    lengths = [(100, 40)] * 28 + [(300, 50), (400, 390)]
    report, usable, _ = check_chat(data, lengths=lengths, max_length=128)
    assert report.truncated == 1 and report.truncated_tokens == 300 - 128
    codes = {p.code for p in report.problems}
    assert {"long_conversations", "prompt_too_long"} <= codes
    assert len(usable) == 29  # the one whose prompt fills the whole length has no answer left to learn


def test_max_length_comes_from_the_data():
    report, _, _ = check_chat(load_chat_from_records(_good(30)), lengths=[(90, 30)] * 29 + [(141, 30)])
    assert report.max_length == 144 and report.truncated == 0


def test_train_test_overlap_is_reported_and_removed(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", _good(40))
    test = write_jsonl(tmp_path / "test.jsonl", toy_conversations(10, start=35))
    report, usable, held = check_chat(load_chat(train), load_chat(test))
    overlap = [p for p in report.problems if p.code == "train_test_overlap"]
    assert overlap and overlap[0].message.startswith("5 prompt(s)")
    assert len(usable) == 35 and len(held) == 10
    assert not {c.key() for c in usable} & {c.key() for c in held}


def test_splits_are_seeded_and_disjoint(tmp_path):
    _, usable, _ = check_chat(load_chat(write_jsonl(tmp_path / "c.jsonl", _good(200))))
    one, two = split_chat(usable, seed=1), split_chat(usable, seed=1)
    assert [c.line for c in one.test] == [c.line for c in two.test]
    assert one.sizes() == {"train": 174, "validation": 10, "test": 16}
    keys = [{c.key() for c in part} for part in (one.train, one.val, one.test)]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])


@pytest.mark.parametrize("roles, problem", [
    (["system", "user", "assistant"], None),
    (["user", "assistant", "user", "assistant"], None),
    (["user"], "no_assistant"),
    (["system", "assistant"], "no_user"),
    (["user", "bot"], "bad_role"),
    (["assistant", "user", "assistant"], "roles_order"),
    (["user", "user", "assistant"], "roles_order"),
    (["user", "assistant", "system", "user", "assistant"], "roles_order"),
    (["user", "assistant", "user"], "roles_order"),
])
def test_role_rules(roles, problem):
    assert role_problem([{"role": r, "content": "x"} for r in roles]) == problem


def load_chat_from_records(records):
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    return load_chat(write_jsonl(folder / "c.jsonl", records))


# ----- bad inputs: each gets one clear, specific message and never a traceback ------------------------

def _bad_files(tmp_path) -> dict:
    good = _good(30)
    lines = lambda records: "".join(json.dumps(r) + "\n" for r in records)  # noqa: E731
    huge = "x" * (2 * 1024 * 1024)
    return {
        "no_assistant": (lines(good[:25] + [_conv(("system", SYSTEM), ("user", "Hello?"))]), "jsonl",
                         "no_assistant", "no `assistant` turn"),
        "wrong_role": (lines(good[:25] + [_conv(("user", "Hi"), ("bot", "Hello"))]), "jsonl", "bad_role", "`bot`"),
        "two_mb_message": (lines(good[:5] + [_conv(("user", huge), ("assistant", "ok"))]), "jsonl",
                           "message_too_long", f"{MAX_MESSAGE_CHARS:,}"),
        "two_mb_csv_cell": (f'prompt,response\n"{huge}",ok\n', "csv", "message_too_long", "Row 2"),
        "mixed_formats": (lines(good[:3]) + json.dumps({"prompt": "a", "response": "b"}) + "\n", "jsonl",
                          "mixed_formats", "line 4"),
        "prompt_column_only": ("prompt\nHow do I export?\nWhere are my tags?\n", "csv",
                               "missing_response_column", "no `response` column"),
        "response_column_only": ("response\nHi there\n", "csv", "missing_prompt_column", "no `prompt` column"),
        "classification_csv": ("text,label\nbad app,negative\n", "csv", "missing_prompt_response", "task=classify"),
        "empty_file": ("", "jsonl", "empty_file", "empty"),
        "pdf": (b"%PDF-1.4 binary stuff", "jsonl", "binary_file", "PDF"),
        "broken_json": (lines(good[:3]) + '{"messages": [\n', "jsonl", "bad_json", "Line 4"),
        "messages_not_a_list": (json.dumps({"messages": "hello"}) + "\n", "jsonl", "bad_messages", "list"),
        "turn_without_content": (json.dumps({"messages": [{"role": "user"}]}) + "\n", "jsonl", "bad_messages",
                                 "`content`"),
        "number_content": (json.dumps(_conv(("user", "hi"), ("assistant", 42))) + "\n", "jsonl", "bad_content",
                           "int"),
        "assistant_first": (lines(good[:25] + [_conv(("assistant", "Hi"), ("user", "x"), ("assistant", "y"))]),
                            "jsonl", "roles_order", "line(s) 26"),
        "system_in_middle": (lines(good[:25] + [_conv(("user", "a"), ("assistant", "b"), ("system", "c"),
                                                      ("user", "d"), ("assistant", "e"))]), "jsonl", "roles_order",
                             "system first"),
        "no_user_turn": (lines(good[:25] + [_conv(("system", SYSTEM), ("assistant", "Hi"))]), "jsonl", "no_user",
                         "no `user` turn"),
        "too_few": (lines(good[:5]), "jsonl", "too_few_examples", f"at least {MIN_EXAMPLES}"),
        "all_answers_empty": (lines([_conv(("user", f"q{i}"), ("assistant", "")) for i in range(30)]), "jsonl",
                              "too_few_examples", "Only 0 usable"),
        "all_duplicates": (lines(good[:1] * 40), "jsonl", "too_few_examples", "Only 1 usable"),
        "array_of_strings": ('["hello", "world"]', "jsonl", "bad_json", "not an object"),
        "header_only_csv": ("prompt,response\n", "csv", "header_only", "no conversations"),
        "no_messages_key": (json.dumps({"text": "hi", "label": "x"}) + "\n", "jsonl", "missing_messages",
                            "no `messages`"),
    }


BAD_NAMES = ["no_assistant", "wrong_role", "two_mb_message", "two_mb_csv_cell", "mixed_formats",
             "prompt_column_only", "response_column_only", "classification_csv", "empty_file", "pdf",
             "broken_json", "messages_not_a_list", "turn_without_content", "number_content", "assistant_first",
             "system_in_middle", "no_user_turn", "too_few", "all_answers_empty", "all_duplicates",
             "array_of_strings", "header_only_csv", "no_messages_key"]


def test_bad_input_list_is_complete(tmp_path):
    assert sorted(_bad_files(tmp_path)) == sorted(BAD_NAMES) and len(BAD_NAMES) >= 15


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_input_gets_a_clear_message(tmp_path, name):
    content, suffix, code, words = _bad_files(tmp_path)[name]
    path = _write(tmp_path, f"{name}.{suffix}", content)
    report = check_chat_file(path)
    assert not report.ok
    errors = [p for p in report.problems if p.level == "error"]
    assert errors[0].code == code, errors
    message = errors[0].message + " " + errors[0].fix
    assert words in message and "Traceback" not in message and len(message) < 600
