"""The model card (README.md) saved beside the model: what it was trained on, how well it does
against the baselines, what it is for and where it will fail."""

from __future__ import annotations

from pathlib import Path


def render_model_card(result) -> str:
    cfg, m, b, report = result.config, result.metrics, result.baselines, result.data_report
    labels = result.training.get("labels", [])
    data_name = cfg.get("data_name") or Path(cfg.get("data_path") or "data").name
    rows = [f"| fine-tuned ({cfg['model']}, {cfg['method']}) | {m['accuracy']:.3f} | "
            f"{m['macro_f1']:.3f} |"]
    for baseline in b.values():
        rows.append(f"| {baseline['name']} | {baseline['accuracy']:.3f} | "
                    f"{baseline['macro_f1']:.3f} |")
    per_class = "\n".join(f"| {c['label']} | {c['precision']:.3f} | {c['recall']:.3f} | "
                          f"{c['f1']:.3f} | {c['support']} |" for c in result.per_class)
    warnings = "\n".join(f"- {p['message']}" for p in report.get("problems", [])) or "- none"
    head_rate = _head_rate(result.training)
    return f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [finetune-tutor, text-classification]
---

# Text classifier: {data_name}

Fine-tuned with Finetune Tutor from the `{cfg['model']}` base model using the `{cfg['method']}`
method ({result.training.get('epochs_run')} epochs run, learning rate {cfg.get('lr') or 'default'}{head_rate},
batch size {cfg['batch_size']}, max length {result.training.get('max_length')} tokens, seed
{cfg['seed']}). {_selection(result.training)}

## Data
- Source: {data_name} (text column `{report.get('text_column')}`, label column
  `{report.get('label_column')}`); {report.get('usable_rows')} usable rows of {report.get('rows')}.
- Splits: {result.splits['train']} train / {result.splits['validation']} validation /
  {result.splits['test']} test (stratified, seeded).
- Labels ({len(labels)}): {', '.join(f'`{label}`' for label in labels)}
- Data report notes:
{warnings}

## Results on the held-out test set
| model | accuracy | macro-F1 |
| --- | --- | --- |
{chr(10).join(rows)}

| class | precision | recall | F1 | support |
| --- | --- | --- | --- | --- |
{per_class}

Training took {result.timings['train_seconds']} s ({result.timings['train_examples_per_second']}
examples/s) on {result.hardware.get('gpu') or 'CPU'} ({result.hardware.get('threads')} threads).

## Use
{_usage(cfg['method'])}

## Intended use and limits
- Intended for sorting short texts like those in the training data into the labels above; it
  was trained as a learning exercise.
- It only knows these labels: every input gets one of them, even when none fits.
- Scores come from a small held-out set: expect lower accuracy on texts unlike the training
  data (other topics, languages, or writing styles). Check the most-confused classes before
  relying on it, and keep a person in the loop for decisions that matter.
- Texts longer than {result.training.get('max_length')} tokens are cut short.
"""


def _head_rate(training: dict) -> str:
    """Where the new head learnt at a rate of its own (`full`: training/head_lr.py), the card says so."""
    rate, body = training.get("head_learning_rate"), training.get("learning_rate")
    return f" (the new head {rate:g})" if rate is not None and rate != body else ""


def _selection(training: dict) -> str:
    best, f1 = training.get("best_epoch"), training.get("best_validation_macro_f1")
    if best is None:
        return "No validation split: the last weights were kept."
    score = f" ({f1:.3f})" if f1 is not None else ""
    return (f"The weights kept are those with the best validation macro-F1{score}, reached at "
            f"epoch {best}.")


def _usage(method: str) -> str:
    if method == "frozen":
        return """The `frozen` method saves a sentence-embedding classifier (mean-pooled encoder output,
then one linear layer: `training/pooled.py` in Finetune Tutor). Importing that module registers
it with transformers' Auto classes; no remote code is run.
```python
from training.pooled import load
classify = load("PATH/TO/THIS/FOLDER")   # a text-classification pipeline
classify("your text", truncation=True)
```"""
    return """```python
from transformers import pipeline
classify = pipeline("text-classification", model="PATH/TO/THIS/FOLDER")
classify("your text", truncation=True)
```"""


def write_model_card(model_dir: Path, result) -> Path:
    path = Path(model_dir) / "README.md"
    path.write_text(render_model_card(result), encoding="utf-8")
    return path


def render_chat_model_card(result) -> str:
    """The card of a chat fine-tune (`training/chat_trainer.py`): base model, method, data, the
    automatic checks for base and tuned on the held-out prompts, and the limits."""
    cfg, report, t = result.config, result.data_report, result.training
    data_name = cfg.get("data_name") or Path(cfg.get("data_path") or "data").name
    rows = "\n".join(f"| {name} | {v['base']} | {v['tuned']} |" for name, v in result.checks.items())
    warnings = "\n".join(f"- {p['message']}" for p in report.get("problems", [])) or "- none"
    lora = t.get("lora")
    method = (f"LoRA (r={lora['r']}, alpha={lora['lora_alpha']}, on attention projections); the adapter "
              "is saved beside this folder in `../adapter`, merged into these weights here"
              if lora else "full fine-tuning (every weight)")
    return f"""---
library_name: transformers
pipeline_tag: text-generation
tags: [finetune-tutor, chat, sft]
---

# Chat model: {data_name}

Supervised fine-tuning with Finetune Tutor (TRL `SFTTrainer`) of the `{cfg['model']}` base model by
{method}. Loss on the assistant's tokens only; {t.get('epochs_run')} epoch(s) run of
{t.get('epochs_planned')}, learning rate {t.get('learning_rate')}, batch size {cfg['batch_size']}, max length
{t.get('max_length')} tokens, seed {cfg['seed']}. The weights kept have the lowest validation loss
({t.get('best_validation_loss')}). Training took {result.timings['train_seconds']} s over
{result.timings['train_tokens']} tokens ({result.timings['train_tokens_per_second']} tokens/s) on
{result.hardware.get('gpu') or 'CPU'} ({result.hardware.get('threads')} threads).

## Data
- Source: {data_name} ({report.get('format')} format); {report.get('usable')} usable conversations of
  {report.get('records')}.
- Splits: {result.splits['train']} train / {result.splits['validation']} validation /
  {result.splits['test']} held-out prompts (seeded; no prompt in two splits).
- Data report notes:
{warnings}

## Automatic checks on the {result.splits['test']} held-out prompts (greedy answers)
| check | base model | tuned |
| --- | --- | --- |
{rows}

`format`: share of answers in the house format (greeting, numbered steps, sign-off); `rouge_l`:
mean ROUGE-L F1 to the reference answer; `length`: mean words per answer.

## Use
```python
from transformers import AutoModelForCausalLM, AutoTokenizer
tokenizer = AutoTokenizer.from_pretrained("PATH/TO/THIS/FOLDER")
model = AutoModelForCausalLM.from_pretrained("PATH/TO/THIS/FOLDER")
messages = [{{"role": "user", "content": "your question"}}]
inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
print(tokenizer.decode(model.generate(**inputs, max_new_tokens=200)[0], skip_special_tokens=True))
```

## Intended use and limits
- A learning exercise: it imitates the style of the training answers; it does not know more facts
  than its base model, and it will state wrong ones in the same confident house style.
- A 135M-parameter model makes things up: keep a person in the loop before any answer reaches a
  customer.
- Checks come from a small held-out set written like the training data.
"""


def write_chat_model_card(model_dir: Path, result) -> Path:
    path = Path(model_dir) / "README.md"
    path.write_text(render_chat_model_card(result), encoding="utf-8")
    return path
