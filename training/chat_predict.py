""""Try it" for a chat fine-tune: one prompt answered by the base model and by the tuned one, greedy,
with the same settings and the same system message the run trained with. Both models are kept per
worker process (training/chat_models.py), so a second question does not load them again."""

from __future__ import annotations

from pathlib import Path

from training.errors import TrainingError

MAX_PROMPT_CHARS = 2000


def answer_both(result: dict, text: str) -> dict:
    """{"task": "chat", "base": answer, "tuned": answer} for a succeeded chat run's `result`."""
    from training.chat_models import cached_model, generate_answers, load_chat_model, load_chat_tokenizer, \
        resolve_chat
    from training.hardware import configure_torch

    text = (text or "").strip()
    if not text:
        raise TrainingError("empty_text", "Type a question for the models.")
    model_dir = Path((result.get("paths") or {}).get("model_dir") or "")
    if not (model_dir / "config.json").is_file():
        raise TrainingError("model_missing", "That model is no longer available: train it again.")
    config, training = result.get("config") or {}, result.get("training") or {}
    configure_torch()
    spec = resolve_chat(config.get("model", "smollm2"))
    tokenizer = load_chat_tokenizer(spec)
    seed = int(config.get("seed", 42))
    base = cached_model(("base", spec.name, seed), lambda: load_chat_model(spec, tokenizer, seed))
    tuned = cached_model(("tuned", str(model_dir.resolve()), (model_dir / "config.json").stat().st_mtime),
                         lambda: _load_tuned(model_dir))
    prompt = ([{"role": "system", "content": training["system"]}] if training.get("system") else []) + \
        [{"role": "user", "content": text[:MAX_PROMPT_CHARS]}]
    max_new = int(training.get("max_new_tokens") or 200)
    answers = [generate_answers(model, tokenizer, [prompt], max_new)[0] for model in (base, tuned)]
    return {"task": "chat", "base": answers[0], "tuned": answers[1]}


def _load_tuned(model_dir: Path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(model_dir))
