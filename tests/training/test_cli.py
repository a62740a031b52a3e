"""`tutor finetune` from a terminal: the last stdout line is one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bot.finetune_cli import finetune
from training_toydata import toy_rows, write_csv


def test_importing_the_cli_stays_light():
    code = ("import sys, bot.finetune_cli\n"
            "print([m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_json_result_is_the_last_stdout_line(tmp_path):
    data = write_csv(tmp_path / "toy.csv", toy_rows(30))
    result = CliRunner().invoke(finetune, [
        "--data", str(data), "--model", "tiny", "--method", "frozen", "--epochs", "2",
        "--lr", "1e-2", "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["ok"] is True and payload["metrics"]["accuracy"] > 0.5
    assert payload["paths"]["model_dir"].startswith(str(tmp_path))


def test_bad_data_gives_a_json_error(tmp_path):
    rows = [(f"only one class {i}", "a") for i in range(20)]
    data = write_csv(tmp_path / "one.csv", rows)
    result = CliRunner().invoke(finetune, ["--data", str(data), "--model", "tiny",
                                           "--out", str(tmp_path / "o"), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["ok"] is False and payload["error"]["code"] == "data_check_failed"
    assert "at least 2" in result.stderr


def test_data_may_be_a_local_file_or_a_sample(tmp_path, isolated_content):
    from bot.finetune_cli import course_samples, resolve_data

    assert resolve_data("toy_topics", course_samples())["data_path"].endswith("toy_topics.csv")
    local = write_csv(tmp_path / "mine.csv", toy_rows(2))
    assert resolve_data(str(local), {}) == {"data_path": str(local), "data_name": "mine.csv"}


def test_bad_options_are_refused(tmp_path):
    runner = CliRunner()
    assert runner.invoke(finetune, ["--data", "no_such_thing", "--model", "tiny"]).exit_code == 2
    assert runner.invoke(finetune, ["--data", "toy_topics", "--model", "gpt2"]).exit_code == 2
    assert runner.invoke(finetune, ["--data", "toy_topics", "--epochs", "0"]).exit_code == 2
