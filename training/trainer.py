"""Run one fine-tune end to end: check the data, split it, train (full, frozen or LoRA), score it
on held-out data against two baselines, plot, and save a model that `pipeline()` loads.

Worker only (imports torch and transformers). Speed on small CPUs comes from packed batches for BERT
models (training/packing.py; other models pad each batch to its longest text), a max length taken
from the data (95th percentile, capped at 256), a `full` fit that trains only the word-embedding rows
the training texts use (training/embedding_rows.py) on weights read into memory as they load, not
mapped from the file (training/models.py), and threads sized to the CPUs the process may use.
Progress goes to `on_progress`; `should_stop` is polled every step and ends the run with `Cancelled`.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from training.checks import check_budget, check_table
from training.config import TrainConfig, effective_epochs, head_learning_rate_for
from training.data import Table, load_hub_table, load_table, usable_examples
from training.errors import Cancelled, DataCheckFailed, RequestError
from training.heap import frozen_for_the_fit
from training.progress import Progress, Reporter
from training.result import RunResult
from training.splits import Splits, make_splits

MAX_LENGTH_CAP = 256
MIN_LENGTH = 16
LORA = dict(r=8, lora_alpha=16, lora_dropout=0.1)  # defaults: see config.LORA_MIN_STEPS


@dataclass(kw_only=True)
class TrainResult(RunResult):
    """A classifier's run: scores on the test split, per class, and against the TF-IDF baselines."""
    metrics: dict
    per_class: list[dict]
    confusion: dict
    confused_pairs: list[dict]
    baselines: dict


def train(config: TrainConfig, on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Fine-tune per `config`; see the module doc. Raises DataCheckFailed, RequestError or
    Cancelled (no result) instead of training on data or settings that cannot work."""
    from transformers import set_seed
    from transformers.utils import logging as hf_logging

    from training.hardware import configure_torch
    from training.models import load_classifier, load_sentence_classifier, load_tokenizer, \
        resolve

    if config.method not in ("full", "frozen", "lora"):
        raise RequestError("bad_method", f"Unknown method `{config.method}`.")
    hf_logging.disable_progress_bar()  # weight loading/saving bars would garble worker logs
    reporter = Reporter(on_progress, should_stop)
    started = time.perf_counter()
    hardware = configure_torch()
    set_seed(config.seed)
    reporter.emit("loading")
    table, test_table = _load_tables(config)
    spec = resolve(config.model)
    tokenizer = load_tokenizer(spec)
    reporter.check()

    reporter.emit("tokenizing")
    texts, labels = usable_examples(table)
    lengths = _token_lengths(tokenizer, texts)
    max_length = config.max_length or pick_max_length(lengths)
    report = check_table(table, test_table, lengths=lengths, max_length=max_length)
    if not report.ok:
        raise DataCheckFailed(report.to_dict())
    test_pairs = None
    if test_table is not None:
        test_pairs = usable_examples(test_table)
    splits = make_splits(texts, labels, test_pairs, seed=config.seed,
                         test_fraction=config.test_fraction, val_fraction=config.val_fraction,
                         per_class=config.per_class)
    epochs = effective_epochs(config.method, config.epochs, len(splits.train[0]),
                              config.batch_size)
    check_budget(len(splits.train[0]), epochs, config.max_example_epochs)
    label_names = sorted(set(labels))
    label2id = {label: i for i, label in enumerate(label_names)}
    if config.method == "frozen":
        model = load_sentence_classifier(spec, label_names, config.seed)
    else:  # `full` writes every weight from its first step: read into memory, not mapped
        model = load_classifier(spec, label_names, config.seed, in_memory=config.method == "full")
    device = "cuda" if hardware["device"] == "cuda" else "cpu"
    reporter.check()

    if config.method == "frozen":
        from training.frozen import train_head

        model.to(device)
        history = train_head(
            model, _batches(tokenizer, splits.train[0], max_length, config.batch_size * 4),
            _batches(tokenizer, splits.val[0], max_length, config.batch_size * 4),
            [label2id[y] for y in splits.train[1]], [label2id[y] for y in splits.val[1]],
            epochs=config.epochs, lr=config.learning_rate, batch_size=config.batch_size,
            seed=config.seed, reporter=reporter, device=device)
    else:
        model, history = _train_with_trainer(model, tokenizer, spec, splits, label2id, max_length,
                                             config, hardware, reporter)
    reporter.check()

    reporter.emit("evaluating")
    eval_started = time.perf_counter()
    predicted = predict_labels(model, tokenizer, splits.test[0], max_length,
                               config.batch_size * 4, device, reporter)
    from training.metrics import classification_metrics

    scores = classification_metrics(splits.test[1], predicted, label_names, splits.test[0])
    eval_seconds = time.perf_counter() - eval_started
    reporter.emit("baselines")
    from training.baselines import run_baselines

    baselines = run_baselines(splits.train, splits.test, config.seed)
    reporter.check()

    reporter.emit("saving")
    paths = _save_outputs(model, tokenizer, config, history, scores, max_length)
    train_seconds = history["train_seconds"]
    timings = {
        "total_seconds": round(time.perf_counter() - started, 2),
        "train_seconds": round(train_seconds, 2),
        "eval_seconds": round(eval_seconds, 2),
        "train_examples_per_second": round(len(splits.train[0]) * max(history["epochs_run"], 1e-9)
                                           / max(train_seconds, 1e-9), 1),
    }
    result = TrainResult(
        metrics={"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"],
                 "test_examples": len(splits.test[0])},
        per_class=scores["per_class"], confusion=scores["confusion"],
        confused_pairs=scores["confused_pairs"], baselines=baselines, timings=timings,
        paths=paths, data_report=report.to_dict(), config=config.to_dict(),
        splits=splits.sizes(), hardware=hardware,
        training={"max_length": max_length, "epochs_run": history["epochs_run"],
                  "best_epoch": history.get("best_epoch"), "labels": label_names,
                  "selected_by": "validation macro-F1", "epochs_planned": epochs,
                  "learning_rate": history.get("learning_rate", config.learning_rate),
                  "head_learning_rate": history.get("head_learning_rate"),
                  "best_validation_macro_f1": history.get("best_macro_f1"),
                  "loss_curve": {"train": history["train_points"],
                                 "validation": history["val_points"]}})
    from training.modelcard import write_model_card

    write_model_card(Path(paths["model_dir"]), result)
    reporter.emit("done", step=1, total_steps=1)
    return result


def pick_max_length(lengths: list[int], cap: int = MAX_LENGTH_CAP) -> int:
    """The 95th percentile of token lengths, between MIN_LENGTH and `cap`."""
    if not lengths:
        return MIN_LENGTH
    ordered = sorted(lengths)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return int(max(MIN_LENGTH, min(cap, p95)))


def _load_tables(config: TrainConfig) -> tuple[Table, Table | None]:
    if config.hub_dataset:
        table = load_hub_table(config.hub_dataset, config.text_column, config.label_column)
    elif config.data_path:
        table = load_table(config.data_path, config.text_column, config.label_column)
    else:
        raise RequestError("missing_data", "No data was given to train on.")
    test_table = None
    if config.test_path:
        test_table = load_table(config.test_path, table.text_column, table.label_column)
    return table, test_table


def _token_lengths(tokenizer, texts: list[str]) -> list[int]:
    lengths = []
    for start in range(0, len(texts), 1000):
        encoded = tokenizer(texts[start:start + 1000], truncation=False, add_special_tokens=True)
        lengths.extend(len(ids) for ids in encoded["input_ids"])
    return lengths


def _encode(tokenizer, texts: list[str], labels: list[int] | None, max_length: int) -> list[dict]:
    encoded = tokenizer(texts, truncation=True, max_length=max_length)
    rows = [{k: encoded[k][i] for k in encoded.keys()} for i in range(len(texts))]
    if labels is not None:
        for row, label in zip(rows, labels):
            row["labels"] = label
    return rows


def _batches(tokenizer, texts: list[str], max_length: int, batch_size: int) -> list[dict]:
    """Padded tensor batches in the given order (for feature extraction)."""
    return [tokenizer(texts[i:i + batch_size], truncation=True, max_length=max_length,
                      padding=True, return_tensors="pt") for i in range(0, len(texts), batch_size)]


def predict_labels(model, tokenizer, texts: list[str], max_length: int, batch_size: int,
                   device: str, reporter: Reporter | None = None) -> list[str]:
    """Predicted label names, batching texts of similar length together."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    predicted: dict[int, str] = {}
    model.eval()
    model.to(device)
    id2label = model.config.id2label
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            if reporter:
                reporter.check()
            idx = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in idx], truncation=True, max_length=max_length,
                              padding=True, return_tensors="pt").to(device)
            ids = model(**batch).logits.argmax(-1).tolist()
            predicted.update({i: id2label[j] for i, j in zip(idx, ids)})
    return [predicted[i] for i in range(len(texts))]


def _windowed_trainer_class():
    from transformers import Trainer

    from training.sampling import WindowedLengthSampler

    class WindowedTrainer(Trainer):
        """The Trainer with `WindowedLengthSampler` (see training/sampling.py for why)."""

        def _get_train_sampler(self, train_dataset=None):
            dataset = train_dataset if train_dataset is not None else self.train_dataset
            return WindowedLengthSampler([len(row["input_ids"]) for row in dataset],
                                         self.args.train_batch_size, seed=self.args.seed)

    return WindowedTrainer


def _batching(model, tokenizer, max_length: int, config: TrainConfig):
    """How the Trainer batches: packed rows in random order where the model allows it
    (training/packing.py), else padded batches sorted by length within small windows
    (training/sampling.py), or across the epoch when `group_by_length` asks for it. Returns the
    module the Trainer runs, its class and the data collator."""
    from transformers import DataCollatorWithPadding, Trainer

    from training.packing import PackedClassifier, PackingCollator, can_pack

    if config.group_by_length:
        return model, Trainer, DataCollatorWithPadding(tokenizer)
    if can_pack(model):
        return (PackedClassifier(model), Trainer,
                PackingCollator(max_length))
    return model, _windowed_trainer_class(), DataCollatorWithPadding(tokenizer)


def _train_with_trainer(model, tokenizer, spec, splits: Splits, label2id: dict, max_length: int,
                        config: TrainConfig, hardware: dict, reporter: Reporter):
    """`full` and `lora` through the transformers Trainer; returns a plain (merged) model."""
    from transformers import PrinterCallback, TrainingArguments

    from training.best_weights import BestWeights, EarlyStopping
    from training.embedding_rows import DecayUnusedRows, swap_in, swap_out
    from training.head_lr import head_faster_optimizer, rates_used

    if config.method == "lora":
        from peft import LoraConfig, TaskType, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS,
                                                 target_modules=list(spec.lora_targets),
                                                 modules_to_save=list(spec.head), **LORA))
    train_rows = _encode(tokenizer, splits.train[0], [label2id[y] for y in splits.train[1]],
                         max_length)
    val_rows = _encode(tokenizer, splits.val[0], [label2id[y] for y in splits.val[1]], max_length)
    checkpoints = Path(config.out_dir) / "checkpoints"
    steps_per_epoch = max(1, math.ceil(len(train_rows) / config.batch_size))
    epochs = effective_epochs(config.method, config.epochs, len(train_rows), config.batch_size)
    args = TrainingArguments(
        output_dir=str(checkpoints), num_train_epochs=epochs,
        learning_rate=config.learning_rate, per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size * 2, weight_decay=0.01, warmup_steps=0.06,
        # The weights kept (and early stopping) follow validation macro-F1, as lesson 3.3 says: it is
        # the score the learner reads, and loss can rise while predictions still improve. The best
        # epoch's weights are kept in memory (BestWeights), not as checkpoints on disk.
        eval_strategy="epoch", save_strategy="no",
        metric_for_best_model="macro_f1", greater_is_better=True,
        logging_strategy="steps", logging_steps=max(1, steps_per_epoch // 4),
        train_sampling_strategy="group_by_length" if config.group_by_length else "random", seed=config.seed, data_seed=config.seed,
        use_cpu=hardware["device"] != "cuda", bf16=hardware["bf16"], report_to="none",
        disable_tqdm=True, dataloader_num_workers=0, dataloader_pin_memory=False,
    )
    progress = _ProgressCallback(reporter, epochs)
    callbacks = [progress, BestWeights("eval_macro_f1"), EarlyStopping(config.early_stopping_patience)]
    used_rows = swap_in(model, [row["input_ids"] for row in train_rows])  # training/embedding_rows.py
    if used_rows is not None:
        callbacks.append(DecayUnusedRows(used_rows))
    trained, trainer_class, collator = _batching(model, tokenizer, max_length, config)
    trainer = trainer_class(
        model=trained, args=args, train_dataset=train_rows, eval_dataset=val_rows or None,
        processing_class=tokenizer, data_collator=collator,
        compute_metrics=_macro_f1_metric, callbacks=callbacks)
    trainer.remove_callback(PrinterCallback)  # it prints log dicts to stdout; progress has them
    head_lr = head_learning_rate_for(config.method, config.learning_rate)
    if head_lr is not None:  # the fresh head learns at its own rate (training/head_lr.py)
        trainer.optimizer = head_faster_optimizer(trainer, spec.head, head_lr)
    fit_started = time.perf_counter()
    try:
        with frozen_for_the_fit():  # training/heap.py
            trainer.train()
    finally:
        shutil.rmtree(checkpoints, ignore_errors=True)
        if used_rows is not None:
            swap_out(model, used_rows)
    if progress.cancelled:
        raise Cancelled()
    train_seconds = time.perf_counter() - fit_started
    history = _history(trainer.state.log_history, trainer.state)
    history["train_seconds"] = train_seconds
    rates = rates_used(trainer, spec.head)  # what the optimizer that ran was given
    history["learning_rate"], history["head_learning_rate"] = rates["body"], rates["head"]
    if config.method == "lora":
        model = model.merge_and_unload()
    return model, history


def _macro_f1_metric(eval_pred) -> dict:
    from sklearn.metrics import f1_score

    logits, labels = eval_pred
    return {"macro_f1": float(f1_score(labels, logits.argmax(-1), average="macro",
                                       zero_division=0))}


def _history(log_history: list[dict], state) -> dict:
    """Loss curves, and the epoch whose weights were kept: the best validation macro-F1 (the
    first of equals, as the Trainer keeps it)."""
    train_points = [(e["epoch"], e["loss"]) for e in log_history if "loss" in e and "epoch" in e]
    val_points = [(e["epoch"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    scored = [(e["epoch"], e["eval_macro_f1"]) for e in log_history if "eval_macro_f1" in e]
    best_epoch = best_f1 = None
    if scored:
        best_epoch, best_f1 = max(scored, key=lambda p: p[1])  # max keeps the first of equals
    return {"train_points": train_points, "val_points": val_points,
            "epochs_run": round(float(state.epoch or 0), 2), "best_epoch": best_epoch,
            "best_macro_f1": None if best_f1 is None else round(best_f1, 4)}


def _make_progress_callback():
    from transformers import TrainerCallback

    class ProgressCallback(TrainerCallback):
        """Forwards Trainer steps to the Reporter and turns a stop request into a clean stop."""

        def __init__(self, reporter: Reporter, total_epochs: int):
            self.reporter = reporter
            self.total_epochs = total_epochs
            self.loss = None
            self.cancelled = False

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                self.loss = logs["loss"]

        def on_step_end(self, args, state, control, **kwargs):
            self.reporter.emit("training", epoch=state.epoch or 0, total_epochs=self.total_epochs,
                               step=state.global_step, total_steps=state.max_steps, loss=self.loss)
            if self.reporter.stop_requested():
                self.cancelled = True
                control.should_training_stop = True
                control.should_save = False
                control.should_evaluate = False
            return control

    return ProgressCallback


def _ProgressCallback(reporter: Reporter, total_epochs: int):
    return _make_progress_callback()(reporter, total_epochs)


def _save_outputs(model, tokenizer, config: TrainConfig, history: dict, scores: dict,
                  max_length: int) -> dict:
    from training.plots import plot_confusion, plot_losses

    out = Path(config.out_dir)
    model_dir = out / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    model.to("cpu")
    model.save_pretrained(model_dir)
    tokenizer.model_max_length = max_length
    tokenizer.save_pretrained(model_dir)
    plots_dir = out / "plots"
    plots_dir.mkdir(exist_ok=True)
    loss_png = plot_losses(history["train_points"], history["val_points"], plots_dir / "loss.png")
    confusion_png = plot_confusion(scores["confusion"]["labels"], scores["confusion"]["matrix"],
                                   plots_dir / "confusion.png")
    return {"out_dir": str(out), "model_dir": str(model_dir),
            "plots": {"loss": loss_png, "confusion": confusion_png}}
