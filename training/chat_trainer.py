"""Supervised fine-tuning of a small chat model (`task=chat`) end to end: read and check the data,
hold out prompts, answer them with the base model, train with TRL's `SFTTrainer` (LoRA by default,
full for the tiny random model), answer them again with the tuned model, check both sets of answers,
plot the loss curves, and save the adapter, the merged model and a model card.

- Loss on the assistant's tokens only: each conversation becomes a prompt (every turn before the
  last assistant turn) and a completion (that turn); TRL masks the prompt's labels (-100), which
  `tests/training/test_chat_trainer.py` checks token by token.
- Length-grouped batches (transformers' `group_by_length` sampling), dynamic padding, and a maximum
  length from the data (the longest conversation, capped; what a cap would cut is in the report).
- Early stopping on validation loss, evaluated a few times an epoch; the best checkpoint is kept.
- Throughput: the real (non-padding) tokens the training steps ran over, every token of each
  conversation (the forward pass covers the prompt too), and tokens/s over the training phase, so
  bench/trainer.py can turn them into model-FLOP utilisation.
- The same Progress callback and cancel token as classification; CUDA and bf16 where present.

Worker only (imports torch, transformers, trl, peft).
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from training.chat_checks import compare, summarise
from training.chat_data import ChatReport, ChatSplits, Conversation, check_chat, load_chat, split_chat
from training.checks import check_budget
from training.config import CHAT_EXAMPLES_SHOWN, CHAT_LORA, CHAT_LORA_TOP_SHARE, TrainConfig
from training.errors import Cancelled, DataCheckFailed, RequestError
from training.heap import frozen_for_the_fit
from training.progress import Progress, Reporter
from training.result import RunResult

MAX_NEW_TOKENS_CAP = 320
EVALS_PER_EPOCH = 3


@dataclass(kw_only=True)
class ChatResult(RunResult):
    """A chat run: the checks of the base and the tuned model's answers to held-out prompts."""
    checks: dict  # name -> {"base": x, "tuned": y}
    base: dict  # summarise() of the base model's answers
    tuned: dict
    examples: list[dict]  # CHAT_EXAMPLES_SHOWN held-out prompts: prompt, reference, base, tuned
    task: str = "chat"


def train_chat(config: TrainConfig, on_progress: Callable[[Progress], None] | None = None,
               should_stop: Callable[[], bool] | None = None) -> ChatResult:
    """Fine-tune a chat model per `config` (see the module doc). Raises DataError, DataCheckFailed,
    RequestError or Cancelled (no result) rather than train on data or settings that cannot work."""
    import datasets
    from transformers import set_seed

    from training.chat_models import generate_answers, load_chat_model, load_chat_tokenizer, resolve_chat
    from training.hardware import configure_torch

    if config.method not in ("full", "lora"):
        raise RequestError("bad_method", f"`method={config.method}` is not available for chat: use "
                           "`lora` or `full`.")
    datasets.disable_progress_bars()  # TRL's tokenizing bars would garble worker logs
    reporter = Reporter(on_progress, should_stop)
    started = time.perf_counter()
    hardware = configure_torch()
    device = "cuda" if hardware["device"] == "cuda" else "cpu"
    set_seed(config.seed)
    reporter.emit("loading")
    if not config.data_path:
        raise RequestError("missing_data", "No data was given to train on.")
    data = load_chat(config.data_path)
    test_data = load_chat(config.test_path) if config.test_path else None
    spec = resolve_chat(config.model)
    tokenizer = load_chat_tokenizer(spec)
    reporter.check()

    reporter.emit("tokenizing")
    lengths = [token_lengths(tokenizer, c) for c in data.conversations]
    report, usable, test_usable = check_chat(data, test_data, lengths=lengths, max_length=config.max_length)
    if not report.ok:
        raise DataCheckFailed(report.to_dict())
    splits = split_chat(usable, test_usable, seed=config.seed, test_size=config.test_size)
    epochs = config.epochs
    check_budget(len(splits.train), epochs, config.max_example_epochs)
    max_length = report.max_length
    references = [c.answer for c in splits.test]
    answer_tokens = max(len(tokenizer(r, add_special_tokens=False)["input_ids"]) for r in references)
    max_new_tokens = min(MAX_NEW_TOKENS_CAP, answer_tokens + 16)
    model = load_chat_model(spec, tokenizer, config.seed)
    layers = model.config.num_hidden_layers
    reporter.check()

    reporter.emit("answering", step=0, total_steps=len(splits.test))
    answer_started = time.perf_counter()
    prompts = [c.prompt for c in splits.test]
    base_answers = generate_answers(model, tokenizer, prompts, max_new_tokens, device=device,
                                    check=reporter.check)
    base_seconds = time.perf_counter() - answer_started
    reporter.check()

    trainer, progress = build_trainer(model, tokenizer, spec, splits, max_length, config, hardware, reporter)
    fit_started = time.perf_counter()
    try:
        with frozen_for_the_fit():  # training/heap.py
            trainer.train()
    finally:
        shutil.rmtree(Path(config.out_dir) / "checkpoints", ignore_errors=True)
    if progress.cancelled:
        raise Cancelled()
    train_seconds = time.perf_counter() - fit_started
    history = _history(trainer.state)
    train_tokens = int(trainer.state.num_input_tokens_seen)
    model = trainer.model
    reporter.check()

    reporter.emit("answering", step=0, total_steps=len(splits.test))
    answer_started = time.perf_counter()
    tuned_answers = generate_answers(model, tokenizer, prompts, max_new_tokens, device=device,
                                     check=reporter.check)
    tuned_seconds = time.perf_counter() - answer_started
    base_checks, tuned_checks = summarise(base_answers, references), summarise(tuned_answers, references)
    examples = [{"prompt": c.user_text, "reference": c.answer, "base": b, "tuned": t}
                for c, b, t in list(zip(splits.test, base_answers, tuned_answers))[:CHAT_EXAMPLES_SHOWN]]

    reporter.emit("saving")
    paths = _save(model, tokenizer, config, history)
    result = ChatResult(
        checks=compare(base_checks, tuned_checks), base=base_checks, tuned=tuned_checks, examples=examples,
        timings={"total_seconds": round(time.perf_counter() - started, 2),
                 "train_seconds": round(train_seconds, 2),
                 "train_tokens": train_tokens,
                 "train_tokens_per_second": round(train_tokens / max(train_seconds, 1e-9), 1),
                 "validation_seconds": history["validation_seconds"],
                 "base_answer_seconds": round(base_seconds, 2),
                 "tuned_answer_seconds": round(tuned_seconds, 2)},
        paths=paths, data_report=report.to_dict(), config=config.to_dict(), splits=splits.sizes(),
        hardware=hardware,
        training={"max_length": max_length, "max_new_tokens": max_new_tokens, "epochs_planned": epochs,
                  "system": _common_system(splits.train),
                  "epochs_run": history["epochs_run"], "best_step": history["best_step"],
                  "best_validation_loss": history["best_loss"], "selected_by": "validation loss",
                  "learning_rate": config.learning_rate, "method": config.method,
                  "lora": ({**_lora_settings(config), "layers": _top_layers(layers)}
                           if config.method == "lora" else None),
                  "trainable_parameters": history["trainable"], "total_parameters": history["total"],
                  "loss_curve": {"train": history["train_points"], "validation": history["val_points"]}})
    from training.modelcard import write_chat_model_card

    write_chat_model_card(Path(paths["model_dir"]), result)
    reporter.emit("done", step=1, total_steps=1)
    return result


def _common_system(conversations: list[Conversation]) -> str | None:
    """The system message most training conversations start with ("Try it" uses it), or None."""
    from collections import Counter

    systems = Counter(c.messages[0]["content"] for c in conversations if c.messages[0]["role"] == "system")
    if not systems:
        return None
    text, count = systems.most_common(1)[0]
    return text if count * 2 > len(conversations) else None


def token_lengths(tokenizer, conversation: Conversation) -> tuple[int, int]:
    """(all tokens, prompt tokens) of a conversation in the model's chat template; estimated for one
    that the data report will refuse anyway (a template may raise on odd roles or empty prompts)."""
    from training.chat_data import estimate_tokens, role_problem

    if role_problem(conversation.messages):
        return estimate_tokens(conversation)
    try:
        whole = tokenizer.apply_chat_template(conversation.messages, tokenize=True, return_dict=False)
        prompt = tokenizer.apply_chat_template(conversation.prompt, tokenize=True, add_generation_prompt=True,
                                               return_dict=False)
    except Exception:  # noqa: BLE001 - a template's own error about a turn the report describes better
        return estimate_tokens(conversation)
    return len(_ids(whole)), len(_ids(prompt))


def _ids(encoded) -> list[int]:
    if isinstance(encoded, dict) or hasattr(encoded, "keys"):
        encoded = encoded["input_ids"]
    return list(encoded)


def _top_layers(layers: int) -> list[int]:
    """The decoder layers that get adapters: the top CHAT_LORA_TOP_SHARE of them (at least one)."""
    count = max(1, math.ceil(CHAT_LORA_TOP_SHARE * layers))
    return list(range(layers - count, layers))


def _lora_settings(config: TrainConfig) -> dict:
    return {**CHAT_LORA, "r": config.lora_r or CHAT_LORA["r"],
            "lora_alpha": 2 * (config.lora_r or CHAT_LORA["r"])}


def to_dataset(conversations: list[Conversation]):
    """TRL's conversational prompt-completion format: the completion is the last assistant turn."""
    from datasets import Dataset

    return Dataset.from_list([{"prompt": c.prompt, "completion": [c.messages[-1]]} for c in conversations])


def build_trainer(model, tokenizer, spec, splits: ChatSplits, max_length: int, config: TrainConfig,
                  hardware: dict, reporter: Reporter):
    """The SFTTrainer for a run, and its progress callback (tests inspect its data and collator)."""
    from transformers import EarlyStoppingCallback, PrinterCallback
    from trl import SFTConfig, SFTTrainer

    from training.trainer import _ProgressCallback

    peft_config = None
    if config.method == "lora":
        from peft import LoraConfig, TaskType

        peft_config = LoraConfig(task_type=TaskType.CAUSAL_LM, target_modules=list(spec.lora_targets),
                                 layers_to_transform=_top_layers(model.config.num_hidden_layers),
                                 layers_pattern="layers", **_lora_settings(config))
    tokenizer.padding_side = "right"
    steps_per_epoch = max(1, math.ceil(len(splits.train) / config.batch_size))
    eval_steps = max(1, steps_per_epoch // EVALS_PER_EPOCH)
    args = SFTConfig(
        output_dir=str(Path(config.out_dir) / "checkpoints"), num_train_epochs=config.epochs,
        learning_rate=config.learning_rate, lr_scheduler_type="cosine", warmup_steps=0.05,
        per_device_train_batch_size=config.batch_size, per_device_eval_batch_size=config.batch_size * 2,
        max_length=max_length, completion_only_loss=True, packing=False,
        gradient_checkpointing=False,  # TRL turns it on; a 135M model fits, and recomputing costs a third
        train_sampling_strategy="group_by_length",
        eval_strategy="steps", eval_steps=eval_steps, save_strategy="steps", save_steps=eval_steps,
        save_total_limit=2, save_only_model=True, load_best_model_at_end=True,
        metric_for_best_model="eval_loss", greater_is_better=False,
        logging_strategy="steps", logging_steps=max(1, eval_steps // 2),
        seed=config.seed, data_seed=config.seed, use_cpu=hardware["device"] != "cuda", bf16=hardware["bf16"],
        report_to="none", disable_tqdm=True, dataloader_num_workers=0, dataloader_pin_memory=False,
        include_num_input_tokens_seen="non_padding")  # state.num_input_tokens_seen: the result's train_tokens
    progress = _ProgressCallback(reporter, config.epochs)
    trainer = SFTTrainer(model=model, args=args, train_dataset=to_dataset(splits.train),
                         eval_dataset=to_dataset(splits.val), processing_class=tokenizer, peft_config=peft_config,
                         callbacks=[progress, EarlyStoppingCallback(config.early_stopping_patience)])
    trainer.remove_callback(PrinterCallback)
    return trainer, progress


def _history(state) -> dict:
    log = state.log_history
    train_points = [(round(e["epoch"], 3), e["loss"]) for e in log if "loss" in e and "epoch" in e]
    val_points = [(round(e["epoch"], 3), e["eval_loss"]) for e in log if "eval_loss" in e]
    best = min(val_points, key=lambda p: p[1]) if val_points else None
    return {"train_points": train_points, "val_points": val_points,
            "epochs_run": round(float(state.epoch or 0), 2),
            "best_step": state.best_global_step, "best_loss": None if best is None else round(best[1], 4),
            # the validation passes inside the training phase (its seconds include them)
            "validation_seconds": round(sum(e.get("eval_runtime", 0.0) for e in log), 2),
            "trainable": None, "total": None}  # counted by _save


def _save(model, tokenizer, config: TrainConfig, history: dict) -> dict:
    """The adapter (LoRA), the merged model with its tokenizer, and the loss plot."""
    from training.plots import plot_losses

    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.to("cpu")
    history["trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    history["total"] = sum(p.numel() for p in model.parameters())
    paths = {"out_dir": str(out)}
    if config.method == "lora":
        adapter_dir = out / "adapter"
        model.save_pretrained(adapter_dir)
        tokenizer.save_pretrained(adapter_dir)
        paths["adapter_dir"] = str(adapter_dir)
        model = model.merge_and_unload()
    model_dir = out / "model"
    model.save_pretrained(model_dir)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(model_dir)
    paths["model_dir"] = str(model_dir)
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    paths["plots"] = {"loss": plot_losses(history["train_points"], history["val_points"], plots / "loss.png")}
    return paths


__all__ = ["ChatResult", "ChatReport", "train_chat", "build_trainer", "token_lengths", "to_dataset"]
