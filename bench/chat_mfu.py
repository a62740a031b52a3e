"""The chat fine-tune's row of bench.trainer (issue 14): tokens/s, model-FLOP utilisation and peak RSS of
`train_chat` with the product's chat defaults (SmolLM2-135M-Instruct, LoRA on the top 40% of the
layers, one epoch, batch 8) on a seeded subset of `support_chat`, with one held-out prompt so that
the base and tuned answers (outside the training phase) cost seconds, not minutes.

MFU = tokens/s × FLOPs per token ÷ the measured fp32 matmul rate, with tokens the real (non-padding)
tokens the training steps ran over (`timings["train_tokens"]`: all of each conversation, the prompt's
too). 6 × N does not fit LoRA on the top layers; counting matmuls only, per token:

    forward through every decoder layer            2 · N_layers
    lm_head forward, logits over the vocabulary    2 · V · d
    lm_head backward, gradient to the hidden state 2 · V · d
    backward through the adapted top layers        2 · N_top   (activation gradients only)
    LoRA matrices, forward + backward              6 · N_lora  (2 forward, 2 activation, 2 weight)

    FLOPs/token = 2·N_layers + 4·V·d + 2·N_top + 6·N_lora

N_layers: the 2-D weights of all decoder layers (norms left out); N_top: those of the adapted layers;
N_lora: the adapters' weights. The lm_head is counted although its weights are the tied input
embedding (SmolLM2 ties them): the embedding lookup costs nothing, but the output projection is a
real V × d matmul at every position (V = 49,152, d = 576: 28M weights, a fifth of the model), and
its backward is needed to reach the top layers; no gradient goes to the frozen embedding weights.
The backward stops below the lowest adapted layer (nothing beneath needs a gradient), and within
it the input gradients of q/k/v/gate/up are skipped too, which this count ignores (SmolLM2: 2 × 2.3M,
about 1% of the total). Left out, like the classifier's 6N: attention's score and weighted-sum matmuls
(4·s·d a layer forward, twice that backward in the top layers: 2.5 to 5% more at support_chat's ~170
tokens a conversation, with or without the causal half) and the padding positions the matmuls also
run over; so the figure is a slight underestimate. The training phase's seconds include its validation passes (3 an epoch)
and checkpoints; the row also shows tokens/s and MFU without the validation passes.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
SUPPORT_CHAT = REPO / "content" / "datasets" / "support_chat.jsonl"


def chat_subset(path: Path, size: int, seed: int) -> Path:
    """`size` conversations of support_chat, seeded, written beside `path`'s name."""
    lines = [line for line in SUPPORT_CHAT.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(seed).shuffle(lines)
    path.write_text("\n".join(lines[:size]) + "\n", encoding="utf-8")
    return path


def weight_counts(model_dir: str, top_layers: list[int], lora_params: int) -> dict:
    """The formula's terms, read from the saved (merged) model's tensor shapes."""
    from safetensors import safe_open

    layer = re.compile(r"model\.layers\.(\d+)\.")
    counts = {"N_layers": 0, "N_top": 0, "N_lora": lora_params}
    for file in sorted(Path(model_dir).glob("*.safetensors")):
        with safe_open(str(file), "pt") as tensors:
            for name in tensors.keys():
                shape = tensors.get_slice(name).get_shape()
                if name in ("model.embed_tokens.weight", "lm_head.weight"):
                    counts["V"], counts["d"] = shape
                found = layer.match(name)
                if found and len(shape) == 2:
                    counts["N_layers"] += shape[0] * shape[1]
                    if int(found.group(1)) in top_layers:
                        counts["N_top"] += shape[0] * shape[1]
    return counts


def flops_per_token(c: dict) -> float:
    return 2 * c["N_layers"] + 4 * c["V"] * c["d"] + 2 * c["N_top"] + 6 * c["N_lora"]


def formula_text(c: dict) -> str:
    m = {k: v / 1e6 for k, v in c.items() if k.startswith("N_")}
    return (f"FLOPs/token = 2·N_layers + 4·V·d + 2·N_top + 6·N_lora = 2·{m['N_layers']:.2f}M + "
            f"4·{c['V']}·{c['d']} + 2·{m['N_top']:.2f}M + 6·{m['N_lora']:.3f}M = {flops_per_token(c) / 1e6:.1f}M")


def bench_chat(work: Path, conversations: int, gflops: float, seed: int = 42, model: str | None = None,
               peak_name: str = "fp32 matmul rate") -> dict:
    """One product-default chat run on `conversations` conversations (`model`: the product's chat
    model unless named); `gflops` is the peak MFU divides by, `peak_name` what it is. Prints its
    lines, returns figures."""
    from bench.trainer import PeakRSS
    from training.chat_trainer import train_chat
    from training.config import CHAT_DEFAULT_BATCH, CHAT_DEFAULT_EPOCHS, TrainConfig
    from training.registry import DEFAULT_MODELS, default_method

    model = model or DEFAULT_MODELS["chat"]
    data = chat_subset(work / "support_chat.jsonl", conversations, seed)
    config = TrainConfig(out_dir=str(work / "chat"), data_path=str(data), task="chat", model=model,
                         method=default_method("chat", model), epochs=CHAT_DEFAULT_EPOCHS,
                         batch_size=CHAT_DEFAULT_BATCH, test_size=1, seed=seed)
    process = psutil.Process()
    cpu_before, wall_before = sum(process.cpu_times()[:2]), time.perf_counter()
    with PeakRSS() as memory:
        result = train_chat(config)
    # a shared machine shows here: the share of its threads' time this run got (1.0 = all of it)
    cpu_share = ((sum(process.cpu_times()[:2]) - cpu_before) / (time.perf_counter() - wall_before)
                 / result.hardware.get("threads", 1))
    t, training = result.timings, result.training
    counts = weight_counts(result.paths["model_dir"], (training["lora"] or {}).get("layers", []),
                           training["trainable_parameters"] if training["lora"] else 0)
    per_token = flops_per_token(counts)
    steps = math.ceil(result.splits["train"] / config.batch_size) * training["epochs_run"]
    steps_seconds = t["train_seconds"] - t["validation_seconds"]
    row = {"tokens": t["train_tokens"], "seconds": t["train_seconds"], "tokens_per_s": t["train_tokens_per_second"],
           "validation_seconds": t["validation_seconds"], "steps": steps, "flops_per_token": per_token,
           "mfu": t["train_tokens_per_second"] * per_token / (gflops * 1e9),
           "mfu_without_validation": t["train_tokens"] / steps_seconds * per_token / (gflops * 1e9),
           "peak_mb": memory.peak_mb, "cpu_share": cpu_share, "splits": result.splits, "counts": counts}
    lora = training["lora"]
    print(f"chat: {model}, {config.method}"
          + (f" on layers {lora['layers'][0]}-{lora['layers'][-1]}" if lora else "")
          + f", {result.splits['train']} train conversations, {training['epochs_run']} epoch(s), {steps:g} steps"
          f" of {config.batch_size}, max length {training['max_length']}")
    print(f"  {formula_text(counts)}")
    print(f"  train tokens {row['tokens']:,} in {row['seconds']:.1f} s (validation passes {row['validation_seconds']:.1f} s"
          f" of it): {row['tokens_per_s']:.1f} tokens/s; without validation {row['tokens'] / steps_seconds:.1f} tokens/s")
    print(f"  MFU = tokens/s × FLOPs/token ÷ {peak_name} = {row['tokens_per_s']:.1f} × {per_token / 1e6:.1f}M ÷ "
          f"{gflops:.1f} GFLOP/s")
    print(f"chat_mfu: {row['mfu']:.3f} (reported, no target); without validation passes: "
          f"{row['mfu_without_validation']:.3f}")
    print(f"chat_tokens_per_s: {row['tokens_per_s']:.1f}; chat peak RSS: {row['peak_mb']:.0f} MB; "
          f"trainer total {t['total_seconds']:.1f} s; CPU time got: {cpu_share:.2f} of "
          f"{result.hardware.get('threads')} threads' wall time")
    print("chat figures: " + json.dumps({k: v for k, v in row.items() if k != "counts"}))
    return row
