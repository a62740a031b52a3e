"""The course's facts: every Python snippet parses, uses no renamed or removed API, and imports only
names that exist in the installed libraries; lesson 1.1 carries everything of the seed lesson."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "content" / "lessons").glob("*.yaml"))
FENCE = re.compile(r"```python\n(.*?)```", re.S)

# Keyword arguments and names that transformers 5.x, datasets and peft renamed or removed.
REMOVED_KEYWORDS = {
    "evaluation_strategy": "use eval_strategy (transformers 5)",
    "no_cuda": "use use_cpu=True",
    "warmup_ratio": "use warmup_steps (a float below 1 is a fraction in transformers 5)",
    "overwrite_output_dir": "removed in transformers 5",
    "logging_dir": "removed in transformers 5",
    "group_by_length": "use train_sampling_strategy='group_by_length'",
    "use_auth_token": "use token=",
    "trust_remote_code": "the course never runs remote code",
    "max_seq_length": "use max_length (TRL's SFTConfig)",
}
REMOVED_CALL_KEYWORDS = {("Trainer", "tokenizer"): "use processing_class= (transformers 5)",
                         ("SFTTrainer", "tokenizer"): "use processing_class= (TRL)",
                         ("DPOTrainer", "tokenizer"): "use processing_class= (TRL)"}
REMOVED_NAMES = {"load_metric": "datasets.load_metric is gone; use scikit-learn metrics",
                 "AdamW": "transformers.AdamW is gone; use torch.optim.AdamW",
                 "DataCollatorForCompletionOnlyLM": "gone from TRL; give prompt and completion columns "
                                                    "(completion_only_loss) or use assistant_only_loss"}
CHECKED_MODULES = ("transformers", "datasets", "peft", "sklearn", "torch", "trl")


def snippets():
    for path in LESSONS:
        text = path.read_text(encoding="utf-8")
        for number, match in enumerate(FENCE.finditer(text)):
            # the YAML block scalar indents the code; dedent through YAML itself
            yield pytest.param(path.name, match.group(1), id=f"{path.stem}#{number}")


def _dedent(code: str) -> str:
    import textwrap

    return textwrap.dedent(code)


def test_there_are_snippets_to_check():
    assert len(list(snippets())) >= 15


@pytest.mark.parametrize("name, code", list(snippets()))
def test_snippet_is_current_python(name, code):
    tree = ast.parse(_dedent(code), filename=name)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in REMOVED_KEYWORDS:
            problems.append(f"{node.arg}=: {REMOVED_KEYWORDS[node.arg]}")
        if isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for keyword in node.keywords:
                if (func, keyword.arg) in REMOVED_CALL_KEYWORDS:
                    problems.append(f"{func}({keyword.arg}=): {REMOVED_CALL_KEYWORDS[(func, keyword.arg)]}")
        if isinstance(node, (ast.Name, ast.alias)):
            name_ = node.id if isinstance(node, ast.Name) else node.name
            if name_ in REMOVED_NAMES:
                problems.append(f"{name_}: {REMOVED_NAMES[name_]}")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in CHECKED_MODULES:
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    problems.append(f"from {node.module} import {alias.name}: no such name in the installed version")
    assert not problems, problems


def test_snippet_checker_catches_an_old_api():
    old = "from transformers import TrainingArguments, Trainer\nargs = TrainingArguments('out', evaluation_strategy='epoch')\nTrainer(model=m, tokenizer=t)\n"
    with pytest.raises(AssertionError):
        test_snippet_is_current_python("old", old)


@pytest.mark.parametrize("old", [
    "from trl import SFTConfig\nSFTConfig(output_dir='o', max_seq_length=512)\n",
    "from trl import SFTTrainer\nSFTTrainer(model=m, tokenizer=t)\n",
    "from trl import DataCollatorForCompletionOnlyLM\n",
    "from trl import SFTTrainerWithTypo\n",
], ids=["max_seq_length", "tokenizer", "completion_collator", "no_such_name"])
def test_snippet_checker_covers_trl(old):
    """Snippets importing trl are checked like the others: names must exist in the installed TRL."""
    with pytest.raises(AssertionError):
        test_snippet_is_current_python("old_trl", old)


def test_some_snippets_use_trl():
    assert any("from trl import" in code for _, code in (p.values for p in snippets()))


SEED_ITEMS = {
    "objectives": ["difference between training from scratch", "when to use fine-tuning"],
    "piano analogy": ["piano", "jazz"],
    "comparison table": ["Data Required", "Time", "Cost", "Expertise", "Starting Point", "Use Case"],
    "decision tree": ["├", "100"],
    "real-world examples": ["Customer Support", "Medical", "Legal", "Code"],
    "resources": ["ULMFiT", "BERT"],
    "preview of 1.2": ["Lesson 1.2"],
}


def test_lesson_1_1_carries_the_seed():
    path = next(p for p in LESSONS if p.name.startswith("1_1_"))
    lesson = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    missing = {item: [w for w in words if w.lower() not in text.lower()] for item, words in SEED_ITEMS.items()}
    assert not {k: v for k, v in missing.items() if v}, missing
    scenarios = [q for q in lesson["quiz"] if q["kind"] == "yes_no"]
    assert len(scenarios) >= 4 and all(q["explanation"] for q in scenarios)
    assert len(lesson["key_concepts"]) >= 4 and lesson["summary"] and len(lesson["self_check"]) >= 3
    assert len(lesson["objectives"]) >= 4
