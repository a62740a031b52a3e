"""`tutor finetune --task chat`: the same results as the bot's; with --json the last stdout line is one
JSON object whose `checks` maps format, rouge_l and length to base and tuned."""

from __future__ import annotations

import json

import pytest
from chat_toydata import toy_conversations, write_jsonl
from click.testing import CliRunner

from bot.finetune_cli import finetune


@pytest.mark.slow
def test_chat_json_has_checks_for_base_and_tuned(tmp_path):
    data = write_jsonl(tmp_path / "chat.jsonl", toy_conversations(40))
    result = CliRunner().invoke(finetune, ["--task", "chat", "--data", str(data), "--model", "tiny-llama",
                                           "--epochs", "1", "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["ok"] is True and payload["task"] == "chat"
    assert set(payload["checks"]) == {"format", "rouge_l", "length"}
    for value in payload["checks"].values():
        assert set(value) == {"base", "tuned"} and all(isinstance(x, (int, float)) for x in value.values())
    assert payload["config"]["method"] == "full"  # the tiny random model is trained whole
    assert len(payload["examples"]) == 5


@pytest.mark.slow
def test_chat_text_summary_shows_answers_side_by_side(tmp_path):
    data = write_jsonl(tmp_path / "chat.jsonl", toy_conversations(30))
    result = CliRunner().invoke(finetune, ["--task", "chat", "--data", str(data), "--model", "tiny-llama",
                                           "--epochs", "1", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "format" in result.stdout and result.stdout.count("[base]") == 5 == result.stdout.count("[tuned]")
    assert " tokens/s), total " in result.stdout


@pytest.mark.parametrize("records, words", [
    (toy_conversations(5), "at least 20"),
    ([{"messages": [{"role": "user", "content": "hi"}]}] * 30, "no `assistant` turn"),
])
def test_bad_chat_data_gives_a_json_error(tmp_path, records, words):
    data = write_jsonl(tmp_path / "bad.jsonl", records)
    result = CliRunner().invoke(finetune, ["--task", "chat", "--data", str(data), "--model", "tiny-llama",
                                           "--out", str(tmp_path / "o"), "--json"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["ok"] is False and words in result.stderr


def test_unreadable_chat_file_gives_a_json_error(tmp_path):
    data = tmp_path / "pairs.csv"
    data.write_text("prompt\nhow do I export?\n")
    result = CliRunner().invoke(finetune, ["--task", "chat", "--data", str(data), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["error"]["code"] == "missing_response_column"


def test_chat_options_are_checked():
    runner = CliRunner()
    assert runner.invoke(finetune, ["--task", "chat", "--data", "x", "--model", "minilm"]).exit_code == 2
    assert runner.invoke(finetune, ["--task", "chat", "--data", "x", "--method", "frozen"]).exit_code == 2
    assert runner.invoke(finetune, ["--task", "classify", "--data", "x", "--model", "smollm2"]).exit_code == 2
