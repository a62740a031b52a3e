"""The trainer's CUDA path, once (issue 14): `full`, `frozen` and `lora` on MiniLM for both data sets
of bench.trainer's quick run, and the chat fine-tune, on a lent GPU. It checks that each runs there
and prints what it measured; it has no targets, since CI and this 2-core box have no GPU.

    python -m bench.cuda_check --part probe                 # versions, the GPU, its matmul peaks
    python -m bench.cuda_check --part classify --datasets DIR [--full-size]
    python -m bench.cuda_check --part chat

`--datasets` is a folder laid out like ../shared/datasets (sms_spam/, banking77/), which does not
travel with the repo to the device machine. MFU divides by the measured dense bf16 matmul rate
(the Trainer runs bf16 autocast where the GPU supports it); the FLOPs are counted as bench.trainer
and bench.chat_mfu count them. On a GPU this small model at batch 16 is bound by kernel launches and
the host, not by the matrix units, so expect an MFU of a few percent or less: that is the reading,
not a fault. Without CUDA the script runs on the CPU (a dry run of the script itself), and says so.
`docs/benchmarks.md` ("The CUDA path") has the command that sent it to the device and its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import traceback
from pathlib import Path


def cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def matmul_tflops(dtype_name: str, size: int = 8192, rounds: int = 5, repeats: int = 10) -> float:
    """The best of `rounds` timed rounds of `repeats` square products on the GPU, in TFLOP/s
    (CUDA events; random data). Without CUDA, bench.trainer's CPU fp32 reading."""
    import torch

    if not cuda():
        from bench.trainer import matmul_gflops

        return matmul_gflops() / 1e3
    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32, "tf32": torch.float32}[dtype_name]
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = dtype_name == "tf32"
    try:
        a = torch.randn(size, size, device="cuda", dtype=dtype)
        b = torch.randn(size, size, device="cuda", dtype=dtype)
        for _ in range(3):
            a @ b
        torch.cuda.synchronize()
        best = 0.0
        for _ in range(rounds):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(repeats):
                a @ b
            end.record()
            end.synchronize()
            best = max(best, 2 * size ** 3 * repeats / (start.elapsed_time(end) / 1e3) / 1e12)
        return best
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous


def probe() -> dict:
    """What the machine has: the libraries the trainer imports, the device and its peaks."""
    import accelerate
    import datasets
    import peft
    import torch
    import transformers
    import trl

    import training.chat_trainer  # noqa: F401  (the chat path imports cleanly)
    import training.trainer  # noqa: F401
    from training.hardware import configure_torch

    found = {"python": platform.python_version(), "torch": torch.__version__,
             "transformers": transformers.__version__, "trl": trl.__version__,
             "peft": peft.__version__, "datasets": datasets.__version__,
             "accelerate": accelerate.__version__, "hardware": configure_torch()}
    if cuda():
        found["cuda"] = torch.version.cuda
        found["gpu_memory_gib"] = round(torch.cuda.get_device_properties(0).total_memory / 2 ** 30, 1)
        for name in ("bf16", "tf32", "fp32"):
            found[f"{name}_matmul_tflops"] = round(matmul_tflops(name), 1)
    else:
        found["cpu_fp32_matmul_tflops"] = round(matmul_tflops("fp32"), 4)
    return found


def gpu_peak_mb() -> float | None:
    import torch

    return round(torch.cuda.max_memory_allocated() / 2 ** 20, 1) if cuda() else None


def reset_gpu_peak() -> None:
    import torch

    if cuda():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def classify(datasets_dir: Path, model: str, epochs: int, peak_tflops: float, full_size: bool = False) -> list[dict]:
    """Each method on bench.trainer's quick subsets, `full` twice (the first pays CUDA's warm-up); or,
    with `full_size`, on its full-size sets (all of SMS, all 77 intents) after one untimed warm-up fit."""
    import bench.trainer as bench
    from training.config import DEFAULT_BATCH, TrainConfig

    bench.DATASETS = datasets_dir
    params, _ = bench.non_embedding_params()
    rows = []
    sms_size, per_intent, per_intent_test, intents = (5572, 130, 40, 77) if full_size else (800, 28, 8, 20)
    labels = ("full", "frozen", "lora") if full_size else ("full (first)", "full", "frozen", "lora")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = {"sms_spam": (bench.write_csv(work / "sms.csv", bench.sms_subset(sms_size, 42)), None),
                "banking77": (bench.write_csv(work / "bt.csv", bench.banking_subset("train", per_intent, 42, intents)),
                              bench.write_csv(work / "bv.csv", bench.banking_subset("test", per_intent_test, 42, intents)))}
        if full_size:  # CUDA's and cuBLAS's first use, out of the timed fits
            warm_csv = bench.write_csv(work / "warm.csv", bench.sms_subset(400, 7))
            bench.run_project(TrainConfig(out_dir=str(work / "warm"), data_path=warm_csv, model=model,
                                          method="full", epochs=1, batch_size=DEFAULT_BATCH))
        for data, (train_csv, test_csv) in sets.items():
            splits, _ = bench.project_splits(train_csv, test_csv)
            train_texts, val_texts = splits.train[0], splits.val[0]
            for label in labels:
                method = label.split()[0]
                config = TrainConfig(out_dir=str(work / f"{data}-{label}"), data_path=train_csv,
                                     test_path=test_csv, model=model, method=method, epochs=epochs,
                                     batch_size=DEFAULT_BATCH, early_stopping_patience=epochs)
                reset_gpu_peak()
                row = {"data": data, "method": label}
                try:
                    fit = bench.run_project(config)
                except Exception:  # noqa: BLE001 — the check reports every path, failing or not
                    row["error"] = traceback.format_exc()
                    print(f"{data} {label}: FAILED\n{row['error']}", flush=True)
                    rows.append(row)
                    continue
                sizes = (bench.real_tokens(train_texts, fit["max_length"]),
                         bench.real_tokens(val_texts, fit["max_length"]), len(val_texts))
                rates = bench.fit_rates(fit, *sizes)
                row.update({key: fit[key] for key in ("train_seconds", "epochs_run", "accuracy",
                                                      "macro_f1", "examples_per_s", "max_length")})
                row.update({"tokens_per_s": round(rates["tokens_per_s"]), "gpu_peak_mb": gpu_peak_mb(),
                            "host_peak_rss_mb": round(fit["peak_mb"])})
                if method == "full":
                    row["mfu"] = bench.nominal_mfu(rates, params, peak_tflops * 1e12)[0]
                print(f"{data} {label}: {fit['train_seconds']:.2f} s, {fit['examples_per_s']:.1f} ex/s, "
                      f"{rates['tokens_per_s']:.0f} tok/s, acc {fit['accuracy']:.3f}, F1 {fit['macro_f1']:.3f}, "
                      f"GPU peak {row['gpu_peak_mb']} MB" + (f", MFU {row['mfu']:.4f}" if "mfu" in row else ""),
                      flush=True)
                rows.append(row)
    return rows


def chat(model: str | None, conversations: int, peak_tflops: float) -> dict:
    """bench.chat_mfu's product-default chat run (SmolLM2, LoRA on the top layers), on this device."""
    from bench.chat_mfu import bench_chat

    reset_gpu_peak()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            row = bench_chat(Path(tmp), conversations, peak_tflops * 1e3, model=model,
                             peak_name="bf16 matmul rate" if cuda() else "fp32 matmul rate")
        except Exception:  # noqa: BLE001
            error = traceback.format_exc()
            print(f"chat: FAILED\n{error}", flush=True)
            return {"error": error}
    row = {key: value for key, value in row.items() if key != "counts"}
    row["gpu_peak_mb"] = gpu_peak_mb()
    print(f"chat GPU peak: {row['gpu_peak_mb']} MB", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("probe", "classify", "chat"), required=True)
    parser.add_argument("--datasets", type=Path, default=None,
                        help="a folder laid out like ../shared/datasets (default: that folder)")
    parser.add_argument("--model", default="minilm", help="classify model (default minilm; tiny for a dry run)")
    parser.add_argument("--chat-model", default=None, help="default: the product's chat model (smollm2)")
    parser.add_argument("--epochs", type=int, default=None, help="default 2, or 3 with --full-size")
    parser.add_argument("--full-size", action="store_true",
                        help="classify: bench.trainer's full-size sets (all of SMS, all 77 intents) instead of its quick ones")
    parser.add_argument("--conversations", type=int, default=48)
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", ".")))
    args = parser.parse_args()
    os.environ.setdefault("TUTOR_HUB", "off")
    started = time.perf_counter()
    if args.part == "probe":
        found = probe()
    else:
        peak = matmul_tflops("bf16")
        print(f"{'bf16 GPU' if cuda() else 'fp32 CPU'} matmul peak: {peak:.3f} TFLOP/s", flush=True)
        if args.part == "classify":
            import bench.trainer as bench

            epochs = args.epochs or (3 if args.full_size else 2)
            found = {"peak_tflops": peak, "full_size": args.full_size, "epochs": epochs,
                     "rows": classify(args.datasets or bench.DATASETS, args.model, epochs, peak, args.full_size)}
        else:
            found = {"peak_tflops": peak, "chat": chat(args.chat_model, args.conversations, peak)}
    found["seconds"] = round(time.perf_counter() - started, 1)
    found["device"] = "cuda" if cuda() else "cpu (dry run: no CUDA here)"
    text = json.dumps(found, indent=1, default=str)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"cuda_{args.part}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
