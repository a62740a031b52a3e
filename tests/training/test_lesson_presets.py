"""Every one-click exercise preset in the real lessons is accepted end to end: the bot's parser
takes its arguments, and the trainer runs it (with the tiny random model in place of MiniLM, so
the test stays quick; the 2-layer random Llama in place of SmolLM2 for `task=chat`). `check=yes` presets
run the data check of their task and must show the report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.course.loader import read_lesson
from bot.finetune_request import RequestParser, sample_datasets

pytestmark = pytest.mark.slow
CONTENT = Path(__file__).resolve().parents[2] / "content"


def _presets() -> list[tuple[str, str]]:
    presets = []
    for path in sorted((CONTENT / "lessons").glob("*.yaml")):
        lesson, problems = read_lesson(path, CONTENT)
        assert lesson is not None, problems
        if lesson.exercise:
            presets += [(f"{lesson.id} {run.label}", run.args) for run in lesson.exercise.runs]
    return presets


PRESETS = _presets()


def test_there_are_presets_to_check():
    assert len(PRESETS) >= 10


TINY = {"classify": "tiny", "chat": "tiny-llama"}


@pytest.mark.parametrize("label,args", PRESETS, ids=[label for label, _ in PRESETS])
def test_preset_is_accepted_and_runs_with_the_tiny_model(label, args, tmp_path):
    from training.chat_data import check_chat_file
    from training.chat_trainer import train_chat
    from training.checks import check_file
    from training.trainer import train

    parser = RequestParser(sample_datasets(CONTENT), hub_online=lambda: False)
    request = parser.parse(args)
    request = replace(request, model=TINY[request.task]).resolved(sample_datasets(CONTENT)[request.data])
    chat = request.task == "chat"
    if request.check_only:
        report = check_chat_file(request.local_path) if chat else check_file(request.local_path).report
        assert report.ok and report.to_dict()["rows"] > 0
        return
    if chat:  # the tiny Llama keeps SmolLM2's 49k vocabulary: 60 conversations keep the run short
        subset = tmp_path / "support_chat_60.jsonl"
        subset.write_text("".join(Path(request.local_path).read_text().splitlines(keepends=True)[:60]))
        request = replace(request, local_path=str(subset))
    config = request.train_config(str(tmp_path / "run"))
    if chat:
        result = train_chat(config)
        assert set(result.checks) >= {"format", "rouge_l"} and result.examples
        assert Path(result.paths["model_dir"], "config.json").is_file()
        return
    result = train(config)
    assert result.metrics["test_examples"] > 0
    assert Path(result.paths["model_dir"], "config.json").is_file()
