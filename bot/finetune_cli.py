"""`tutor finetune`: the same trainer, run from a terminal on the operator's own machine (local
paths are allowed here, unlike in Slack). Heavy imports happen inside the command, so importing
this module costs nothing. Sample names come from the course folder (`TUTOR_CONTENT_DIR`, else the
project's `content/`), read through the app's settings like everywhere else."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from training.config import BATCH_RANGE, CHAT_DEFAULT_BATCH, CHAT_DEFAULT_EPOCHS, DEFAULT_BATCH, DEFAULT_EPOCHS, \
    EPOCH_RANGE, LR_RANGE, METHODS, default_lrs_text
from training.errors import TrainingError
from training.registry import DEFAULT_MODELS, TASKS, default_method, find_model, model_names


def course_samples() -> dict[str, Path]:
    """The sample data sets of the configured course."""
    from bot.config import load_settings
    from bot.course.loader import default_content_dir
    from bot.finetune_request import sample_datasets

    return sample_datasets(load_settings().content_dir or default_content_dir())


def resolve_data(data: str, samples: dict[str, Path]) -> dict:
    """A local file, a sample name, or a hub `owner/name`, as TrainConfig fields."""
    path = Path(data).expanduser()
    if path.is_file():
        return {"data_path": str(path), "data_name": path.name}
    if data in samples:
        return {"data_path": str(samples[data]), "data_name": data}
    if data.count("/") == 1 and not data.startswith((".", "/")):
        return {"hub_dataset": data, "data_name": data}
    raise click.BadParameter(f"{data} is not a file, a sample ({', '.join(samples) or 'none'}) "
                             "or a hub data set name owner/name.", param_hint="--data")


class _Line:
    """A one-line progress display on stderr, redrawn in place."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.last = 0.0

    def __call__(self, p) -> None:
        now = time.monotonic()
        if not self.enabled or (p.phase == "training" and now - self.last < 0.2
                                and p.step != p.total_steps):
            return
        self.last = now
        if p.total_steps:
            filled = int(24 * p.step / p.total_steps)
            bar = "#" * filled + "-" * (24 - filled)
            eta = f" eta {p.eta_seconds:.0f}s" if p.eta_seconds is not None else ""
            loss = f" loss {p.loss:.4f}" if p.loss is not None else ""
            epoch = f" epoch {p.epoch:.2f}/{p.total_epochs}" if p.total_epochs else ""
            text = f"{p.phase:<10} [{bar}] {p.step}/{p.total_steps}{epoch}{loss}{eta}"
        else:
            text = f"{p.phase} ..."
        sys.stderr.write("\r" + text.ljust(96))
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


@click.command("finetune")
@click.option("--task", type=click.Choice(TASKS), default="classify", show_default=True,
              help="classify: a text classifier; chat: supervised fine-tuning of a small chat model.")
@click.option("--data", required=True, help="A CSV/TSV/JSONL file, a sample name, or owner/name.")
@click.option("--text-column", default=None, help="The column holding the text.")
@click.option("--label-column", default=None, help="The column holding the label.")
@click.option("--test", "test_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A separate test file (same columns).")
@click.option("--model", default=None,
              help="classify: " + ", ".join(model_names()) + f" (default {DEFAULT_MODELS['classify']}); chat: "
              + ", ".join(model_names("chat")) + f" (default {DEFAULT_MODELS['chat']}).")
@click.option("--method", type=click.Choice(METHODS), default=None,
              help="Default: full for classify; lora for chat (full for tiny-llama).")
@click.option("--epochs", type=click.IntRange(*EPOCH_RANGE), default=None,
              help=f"Default: {DEFAULT_EPOCHS} (classify), {CHAT_DEFAULT_EPOCHS} (chat).")
@click.option("--lr", type=click.FloatRange(*LR_RANGE), default=None,
              help=f"Learning rate (default: {default_lrs_text()}).")
@click.option("--batch-size", type=click.IntRange(*BATCH_RANGE), default=None,
              help=f"Default: {DEFAULT_BATCH} (classify), {CHAT_DEFAULT_BATCH} (chat).")
@click.option("--lora-r", type=click.IntRange(1, 64), default=None, help="chat: the LoRA rank (default 8).")
@click.option("--max-length", type=click.IntRange(32, 1024), default=None,
              help="chat: tokens per conversation (default: the longest in the data).")
@click.option("--test-size", type=click.IntRange(5, 200), default=None,
              help="chat: held-out prompts (default: a tenth of the data, 5 to 40).")
@click.option("--per-class", type=click.IntRange(min=2), default=None,
              help="Use at most N training examples per class.")
@click.option("--group-by-length", is_flag=True,
              help="Pad batches of similar-length texts (transformers' group_by_length) instead of the default (packed batches for BERT models): slower learning where length predicts the label.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: ./finetune-runs/<time>).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON line last.")
def finetune(task, data, text_column, label_column, test_path, model, method, epochs, lr, batch_size,
             lora_r, max_length, test_size, per_class, group_by_length, out_dir, as_json):
    """Fine-tune a text classifier (or, with --task chat, a small chat model) on a local file and
    report the results: metrics against baselines, or base and tuned answers with their checks."""
    model = model or DEFAULT_MODELS[task]
    spec = find_model(model)
    if spec is None or spec.task != task:
        raise click.BadParameter(f"{model} is not allowed for --task {task}; choose one of "
                                 + ", ".join(model_names(task)), param_hint="--model")
    if task == "chat" and method == "frozen":
        raise click.BadParameter("chat fine-tunes use lora or full", param_hint="--method")
    from training.config import TrainConfig

    chat = task == "chat"
    out_dir = out_dir or str(Path("finetune-runs") / time.strftime("%Y%m%d-%H%M%S"))
    config = TrainConfig(out_dir=out_dir, test_path=test_path, text_column=text_column,
                         label_column=label_column, model=spec.name, task=task,
                         method=method or default_method(task, spec.name),
                         epochs=epochs or (CHAT_DEFAULT_EPOCHS if chat else DEFAULT_EPOCHS), lr=lr,
                         batch_size=batch_size or (CHAT_DEFAULT_BATCH if chat else DEFAULT_BATCH),
                         per_class=per_class, group_by_length=group_by_length, lora_r=lora_r,
                         max_length=max_length, test_size=test_size, **resolve_data(data, course_samples()))
    line = _Line(sys.stderr.isatty() or not as_json)
    try:
        if chat:
            from training.chat_trainer import train_chat as train
        else:
            from training.trainer import train

        result = train(config, on_progress=line)
    except TrainingError as exc:
        line.close()
        payload = {"ok": False, "error": exc.to_dict()}
        if getattr(exc, "report", None):
            payload["data_report"] = exc.report
            for problem in exc.report.get("problems", []):
                click.echo(f"{problem['level']}: {problem['message']} {problem['fix']}", err=True)
        click.echo(f"error: {exc.message}", err=True)
        if as_json:
            click.echo(json.dumps(payload))
        sys.exit(1)
    line.close()
    if as_json:
        click.echo(json.dumps({"ok": True, **result.to_dict()}))
    else:
        click.echo(_chat_summary(result) if chat else _summary(result))


def _summary(result) -> str:
    m, b, t = result.metrics, result.baselines, result.timings
    lines = [f"accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
             f"(test {m['test_examples']})"]
    lines += [f"  baseline {x['name']}: accuracy {x['accuracy']:.4f}  macro-F1 {x['macro_f1']:.4f}"
              for x in b.values()]
    lines.append(f"train {t['train_seconds']}s ({t['train_examples_per_second']} examples/s), "
                 f"total {t['total_seconds']}s")
    lines.append(f"model: {result.paths['model_dir']}")
    lines += [f"plot: {p}" for p in result.paths["plots"].values()]
    return "\n".join(lines)


def _chat_summary(result) -> str:
    """The checks for base and tuned, then the held-out prompts' answers side by side."""
    lines = [f"{'check':<10}{'base':>10}{'tuned':>10}   (on {result.splits['test']} held-out prompts)"]
    lines += [f"{name:<10}{v['base']:>10}{v['tuned']:>10}" for name, v in result.checks.items()]
    for number, example in enumerate(result.examples, start=1):
        lines += ["", f"--- prompt {number}: {example['prompt']}", "[base]", example["base"] or "(empty)",
                  "[tuned]", example["tuned"] or "(empty)"]
    t = result.timings
    lines += ["", f"train {t['train_seconds']}s ({t['train_tokens']} tokens, {t['train_tokens_per_second']} "
              f"tokens/s), total {t['total_seconds']}s",
              f"model: {result.paths['model_dir']}"]
    if result.paths.get("adapter_dir"):
        lines.append(f"adapter: {result.paths['adapter_dir']}")
    lines += [f"plot: {p}" for p in result.paths["plots"].values()]
    return "\n".join(lines)


if __name__ == "__main__":
    finetune()
