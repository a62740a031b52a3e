"""Trainer throughput, quality and hardware utilisation (issue 8), against a no-code-style baseline.

The baseline trains the way popular no-code trainers do by default: every example padded to 128
tokens, the transformers Trainer with its default arguments; same model, data split, epochs, learning
rate and batch size as the project's `full` run. Tokens/s counts real (non-padding) tokens for every
row, so it is comparable.

MFU = the model FLOPs of the timed fit ÷ (its seconds × the measured fp32 matmul rate): 6 ×
non-embedding params per real training token (forward and backward), plus 2 × params per real
validation token for the validation pass after each epoch (forward only; the fit's clock includes
it). The rate is the best of seven short rounds, read at the start, before each `full` fit and
after the last; the best of all those readings divides. The `full` fit is timed the same way: it
runs `--fit-repeats` times (default 3; the same seed, so the same work and the same model) and the
fastest divides; the table and the other ratios read the first. On this shared 2-core machine one
quick Banking77 fit took 9.1 to 13.2 s in processes started minutes apart, with nothing in the code
changed, so a single fit against the best of many peak readings reads the machine's slow minutes as
the trainer's. `train-only MFU` leaves the validation FLOPs out, as the first version of this bench
did. MFU counts the model's nominal FLOPs, whatever the fit
skips. The packed step skips the last layer's outputs at every token but [CLS]
(training/packing.py), so `FLOPs computed` counts only what it multiplies: every token through the
first layers and through the last one's keys and values; one token a text through the rest of the
last layer, the pooler and the classifier.

`--data support_chat` adds the chat fine-tune's tokens/s and MFU (reported, no target;
bench/chat_mfu.py says how its FLOPs are counted). The accuracy gap is the mean over `--seeds` paired
runs (baseline and full, each seed another train/validation split and initialisation): on Banking77's
quick subset (160 test rows, 0.6 points each) one pair's gap ranged from -5.6 to +6.9 points over ten
seeds, and dropout's random draws alone moved it by 5, so one seed cannot tell a 1-point gap.

    .venv/bin/python -m bench.trainer --quick --epochs 2
    .venv/bin/python -m bench.trainer --quick --epochs 2 --data banking77 --seeds 10 --fit-repeats 1
    .venv/bin/python -m bench.trainer --data support_chat
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.targets import finish

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO.parent / "shared" / "datasets"
BASELINE_LENGTH = 128


class PeakRSS:
    """Samples this process's resident memory every 20 ms; `peak_mb` is the high-water mark inside."""

    def __enter__(self) -> "PeakRSS":
        self._process, self._stop, self.peak = psutil.Process(), threading.Event(), 0
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(0.02)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 1e6


def cpu_description(cpuinfo: str, cpus: int) -> str:
    """The CPU as /proc/cpuinfo names it, how many this process may use, and its widest vector unit.
    The MFU divides by this machine's fp32 peak, which AVX-512 doubles: the same trainer read 0.62 on
    a 2-vCPU AMD EPYC (AVX2 products, 175-195 GFLOP/s) and 0.39 on a 2-vCPU Intel Xeon with AVX-512
    (340-355), so a figure without its CPU cannot be compared."""
    fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    vectors = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{fields.get('model name', 'unknown CPU')}, {cpus} CPU(s), {vectors}"


def matmul_gflops(size: int = 2048, rounds: int = 7, repeats: int = 2) -> float:
    """The best fp32 matmul rate of several short rounds: the peak the MFU divides by. One round alone
    moved with the shared machine (100 to 144 GFLOP/s on the same box in one day), and a low peak
    flatters the MFU; the best round is the rate this machine can reach."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b  # warm-up
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = max(best, 2 * size ** 3 * repeats / (time.perf_counter() - started) / 1e9)
    return best


def write_csv(path: Path, rows: list[tuple[str, str]]) -> str:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return str(path)


def sms_subset(size: int, seed: int) -> list[tuple[str, str]]:
    lines = (DATASETS / "sms_spam" / "SMSSpamCollection.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [(text, label) for label, text in (line.split("\t", 1) for line in lines if "\t" in line)]
    random.Random(seed).shuffle(rows)
    return rows[:size]


def banking_subset(split: str, per_class: int, seed: int, classes: int = 77) -> list[tuple[str, str]]:
    """`per_class` rows of each of the first `classes` intents (sorted by name), shuffled by `seed`."""
    with (DATASETS / "banking77" / f"{split}.csv").open(newline="") as handle:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    random.Random(seed).shuffle(rows)
    keep = set(sorted({label for _, label in rows})[:classes])
    rows = [row for row in rows if row[1] in keep]
    taken: dict[str, int] = {}
    chosen = []
    for text, label in rows:
        if taken.get(label, 0) < per_class:
            taken[label] = taken.get(label, 0) + 1
            chosen.append((text, label))
    return chosen


def run_project(config) -> dict:
    """The project's trainer; frozen's later-epoch time comes from its progress events."""
    from training.trainer import train

    events: list[tuple[float, float]] = []

    def on_progress(progress) -> None:
        if progress.phase == "training":
            events.append((time.perf_counter(), progress.epoch))

    with PeakRSS() as memory:
        result = train(config, on_progress=on_progress)
    later_epoch_s = None
    if len(events) >= 2 and events[-1][1] > events[0][1]:
        later_epoch_s = (events[-1][0] - events[0][0]) / (events[-1][1] - events[0][1])
    return {"train_seconds": result.timings["train_seconds"], "epochs_run": result.training["epochs_run"],
            "accuracy": result.metrics["accuracy"], "macro_f1": result.metrics["macro_f1"],
            "train_examples": result.splits["train"] if isinstance(result.splits.get("train"), int) else None,
            "examples_per_s": result.timings["train_examples_per_second"], "peak_mb": memory.peak_mb,
            "max_length": result.training["max_length"], "later_epoch_s": later_epoch_s,
            "tfidf_f1": result.baselines["tfidf_logreg"]["macro_f1"]}


def project_splits(train_csv: str, test_csv: str | None, seed: int = 42):
    """The train/validation/test split the project's trainer makes of these files (its own functions),
    and the label names it sorts out of the training file."""
    from training.data import load_table, usable_examples
    from training.splits import make_splits

    texts, labels = usable_examples(load_table(train_csv))
    test_pairs = usable_examples(load_table(test_csv)) if test_csv else None
    return make_splits(texts, labels, test_pairs, seed=seed), sorted(set(labels))


def run_baseline(train_csv: str, test_csv: str | None, epochs: int, lr: float, batch_size: int,
                 out_dir: str, seed: int = 42) -> dict:
    """Pad to 128, Trainer defaults; the same split the project's trainer makes from the same files."""
    import torch
    from transformers import Trainer, TrainingArguments, set_seed

    from training.metrics import classification_metrics
    from training.models import load_classifier, load_tokenizer, resolve

    set_seed(seed)
    splits, names = project_splits(train_csv, test_csv, seed)
    label2id = {name: i for i, name in enumerate(names)}
    spec = resolve("minilm")
    tokenizer = load_tokenizer(spec)
    model = load_classifier(spec, names, seed)
    encoded = tokenizer(splits.train[0], padding="max_length", truncation=True, max_length=BASELINE_LENGTH)
    rows = [{"input_ids": ids, "attention_mask": mask, "labels": label2id[y]}
            for ids, mask, y in zip(encoded["input_ids"], encoded["attention_mask"], splits.train[1])]
    args = TrainingArguments(output_dir=out_dir, num_train_epochs=epochs, learning_rate=lr,
                             per_device_train_batch_size=batch_size, report_to="none", use_cpu=True,
                             disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=rows)
    with PeakRSS() as memory:
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
    model.eval()
    predicted = []
    with torch.no_grad():
        for start in range(0, len(splits.test[0]), 64):
            batch = tokenizer(splits.test[0][start:start + 64], padding="max_length", truncation=True,
                              max_length=BASELINE_LENGTH, return_tensors="pt")
            predicted += [names[i] for i in model(**batch).logits.argmax(-1).tolist()]
    scores = classification_metrics(splits.test[1], predicted, names, splits.test[0])
    return {"train_seconds": seconds, "epochs_run": epochs, "accuracy": scores["accuracy"],
            "macro_f1": scores["macro_f1"], "examples_per_s": len(rows) * epochs / seconds,
            "peak_mb": memory.peak_mb, "train_texts": splits.train[0], "val_texts": splits.val[0]}


def real_tokens(texts: list[str], max_length: int) -> int:
    from training.models import load_tokenizer, resolve

    tokenizer = load_tokenizer(resolve("minilm"))
    return sum(min(len(ids), max_length) for ids in tokenizer(texts)["input_ids"])


def non_embedding_params() -> tuple[int, int]:
    """MiniLM's non-embedding parameters (two labels): all of them, and those a packed step
    multiplies once a text rather than at every token (see the module doc)."""
    from training.models import load_classifier, resolve
    from training.packing import once_a_text

    model = load_classifier(resolve("minilm"), ["a", "b"], 42)
    per_text = sum(p.numel() for module in once_a_text(model) for p in module.parameters())
    return sum(p.numel() for name, p in model.named_parameters() if "embeddings" not in name), per_text


def fit_rates(fit: dict, train_tokens: int, val_tokens: int, val_examples: int) -> dict:
    """A fit's rates over its clock: training examples and real tokens, and validation tokens and
    examples (one validation pass per epoch begun: the Trainer evaluates at each epoch's end)."""
    seconds = max(fit["train_seconds"], 1e-9)
    passes = math.ceil(fit["epochs_run"])
    return {"examples_per_s": fit["examples_per_s"],
            "tokens_per_s": train_tokens * fit["epochs_run"] / seconds,
            "val_tokens_per_s": val_tokens * passes / seconds,
            "val_examples_per_s": val_examples * passes / seconds}


def nominal_mfu(rates: dict, params: int, peak_flops: float) -> tuple[float, float]:
    """(MFU, train-only MFU) of a fit's rates (`fit_rates`) against `peak_flops` (FLOP/s): 6 ×
    non-embedding params per training token, plus 2 × per validation token (the module doc)."""
    train_only = rates["tokens_per_s"] * 6 * params / peak_flops
    return train_only + rates["val_tokens_per_s"] * 2 * params / peak_flops, train_only


def bench_dataset(name: str, train_csv: str, test_csv: str | None, epochs: int, work: Path,
                  methods: tuple[str, ...] = ("full", "frozen", "lora"),
                  extra_seeds: tuple[int, ...] = (), peaks: list[float] | None = None,
                  fit_repeats: int = 1) -> list[dict]:
    """The baseline and each method on one data set (plus the extra seeds' gaps). The `full` fit runs
    `fit_repeats` times (the fastest's rates go to MFU); the matmul peak is read again just before
    each and just after the last, into `peaks`."""
    from training.config import DEFAULT_BATCH, DEFAULT_LR, TrainConfig

    rows = []
    base = run_baseline(train_csv, test_csv, epochs, DEFAULT_LR["full"], DEFAULT_BATCH, str(work / f"{name}-base"))
    train_texts, val_texts = base.pop("train_texts"), base.pop("val_texts")
    base_tokens = real_tokens(train_texts, BASELINE_LENGTH)
    rows.append({"data": name, "method": "baseline", **base,
                 "tokens_per_s": base_tokens * epochs / base["train_seconds"]})
    print(f"  {name} baseline: {base['examples_per_s']:.1f} ex/s, acc {base['accuracy']:.3f}", flush=True)
    for method in methods:
        repeats = fit_repeats if method == "full" else 1
        fits = []
        for repeat in range(repeats):
            if method == "full" and peaks is not None:
                peaks.append(matmul_gflops())
            config = TrainConfig(out_dir=str(work / f"{name}-{method}-{repeat}"), data_path=train_csv,
                                 test_path=test_csv, model="minilm", method=method, epochs=epochs,
                                 batch_size=DEFAULT_BATCH, early_stopping_patience=epochs)
            fits.append(run_project(config))
        if len({fit["accuracy"] for fit in fits}) > 1:
            print(f"  {name} {method}: the repeated fits disagree on accuracy: "
                  + ", ".join(f"{fit['accuracy']:.3f}" for fit in fits), flush=True)
        sizes = (real_tokens(train_texts, fits[0]["max_length"]),
                 real_tokens(val_texts, fits[0]["max_length"]), len(val_texts))
        # the table and every ratio but MFU read the first fit, as a single fit did; MFU reads the
        # fastest, as the peak it divides by is the best reading
        run = {**fits[0], **fit_rates(fits[0], *sizes),
               "fit_seconds": [fit["train_seconds"] for fit in fits],
               "mfu_rates": fit_rates(min(fits, key=lambda fit: fit["train_seconds"]), *sizes)}
        rows.append({"data": name, "method": method, **run})
        if method == "full" and peaks is not None:
            peaks.append(matmul_gflops())
        timed = (" (fits " + ", ".join(f"{seconds:.2f}" for seconds in run["fit_seconds"])
                 + " s; the fastest counts for MFU)") if len(fits) > 1 else ""
        print(f"  {name} {method}: {run['examples_per_s']:.1f} ex/s, acc {run['accuracy']:.3f}{timed}",
              flush=True)
    for row in rows:
        row["speedup"] = row["examples_per_s"] / rows[0]["examples_per_s"]
    gaps = [rows[0]["accuracy"] - next(r for r in rows if r["method"] == "full")["accuracy"]]
    for seed in extra_seeds:  # the same data, another split of train/validation and initialisation
        base = run_baseline(train_csv, test_csv, epochs, DEFAULT_LR["full"], DEFAULT_BATCH,
                            str(work / f"{name}-base-{seed}"), seed=seed)
        config = TrainConfig(out_dir=str(work / f"{name}-full-{seed}"), data_path=train_csv,
                             test_path=test_csv, model="minilm", method="full", epochs=epochs,
                             batch_size=DEFAULT_BATCH, early_stopping_patience=epochs, seed=seed)
        gaps.append(base["accuracy"] - run_project(config)["accuracy"])
        print(f"  {name} seed {seed}: accuracy gap {100 * gaps[-1]:+.2f} points", flush=True)
    for row in rows:
        row["accuracy_gaps"] = gaps
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small subsets (about 7 min on 2 cores with the default --fit-repeats)")
    parser.add_argument("--epochs", type=int, default=None, help="default 1 with --quick, else 3")
    parser.add_argument("--data", default="sms_spam,banking77",
                        help="comma-separated: sms_spam, banking77, support_chat (a narrower run measures less)")
    parser.add_argument("--seeds", type=int, default=1,
                        help="seeds the accuracy gap is averaged over (baseline and full again for "
                             "each seed after the first; default 1)")
    parser.add_argument("--fit-repeats", type=int, default=3,
                        help="times the full fit runs (the same seed); the fastest divides the MFU, as "
                             "the best peak reading does (default 3)")
    parser.add_argument("--chat-conversations", type=int, default=48,
                        help="support_chat conversations the chat row trains on (default 48)")
    args = parser.parse_args()
    if args.fit_repeats < 1:
        parser.error("--fit-repeats must be 1 or more")
    epochs = args.epochs or (1 if args.quick else 3)
    # quick: ~550 training rows each (Banking77 cut to 20 intents), enough that fixed per-run costs
    # (evaluation, checkpoints) do not dominate, while the 12 runs (three `full` fits a data set)
    # still fit in about 7 minutes on 2 cores.
    sms_size, banking_train, banking_test, intents = (800, 28, 8, 20) if args.quick else (5572, 130, 40, 77)
    started = time.perf_counter()
    peaks = [matmul_gflops()]
    chosen = args.data.split(",")
    extra_seeds = tuple(range(43, 42 + args.seeds))
    params, per_text = non_embedding_params() if {"sms_spam", "banking77"} & set(chosen) else (0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sms = write_csv(work / "sms.csv", sms_subset(sms_size, 42))
        bank_train = write_csv(work / "banking_train.csv", banking_subset("train", banking_train, 42, intents))
        bank_test = write_csv(work / "banking_test.csv", banking_subset("test", banking_test, 42, intents))
        rows = []
        if "sms_spam" in chosen:
            rows += bench_dataset("sms_spam", sms, None, epochs, work, extra_seeds=extra_seeds,
                                  peaks=peaks, fit_repeats=args.fit_repeats)
        if "banking77" in chosen:
            rows += bench_dataset("banking77", bank_train, bank_test, epochs, work,
                                  extra_seeds=extra_seeds, peaks=peaks, fit_repeats=args.fit_repeats)
        if "support_chat" in chosen:
            from bench.chat_mfu import bench_chat

            bench_chat(work, args.chat_conversations, max(peaks))
    # the best reading divides: the rate this machine reached in this run (a busy moment reads low
    # and would flatter every MFU below)
    gflops = max(peaks)
    from training.hardware import usable_cpus

    cpuinfo = Path("/proc/cpuinfo")
    print("CPU: " + cpu_description(cpuinfo.read_text() if cpuinfo.exists() else "", usable_cpus()))
    print(f"fp32 matmul 2048x2048: {gflops:.1f} GFLOP/s (best of readings "
          + ", ".join(f"{peak:.1f}" for peak in peaks) + ")"
          + (f"; MiniLM non-embedding params: {params / 1e6:.2f} M" if params else ""))
    if rows:
        print(f"{'data':10} {'method':8} {'ex/s':>7} {'tok/s':>8} {'acc':>6} {'F1':>6} {'peak MB':>8} {'x base':>7}")
    for r in rows:
        print(f"{r['data']:10} {r['method']:8} {r['examples_per_s']:>7.1f} {r['tokens_per_s']:>8.0f} "
              f"{r['accuracy']:>6.3f} {r['macro_f1']:>6.3f} {r['peak_mb']:>8.0f} {r['speedup']:>7.2f}")
    print(f"total wall time: {time.perf_counter() - started:.0f} s")
    targets = []
    for data in [d for d in ("sms_spam", "banking77") if d in chosen]:
        base = next(r for r in rows if r["data"] == data and r["method"] == "baseline")
        full = next(r for r in rows if r["data"] == data and r["method"] == "full")
        frozen = next(r for r in rows if r["data"] == data and r["method"] == "frozen")
        fastest = full["mfu_rates"]
        mfu, train_only_mfu = nominal_mfu(fastest, params, gflops * 1e9)
        computed = (6 * ((params - per_text) * fastest["tokens_per_s"] + per_text * fastest["examples_per_s"])
                    + 2 * ((params - per_text) * fastest["val_tokens_per_s"]
                           + per_text * fastest["val_examples_per_s"])) / (gflops * 1e9)
        fits = len(full["fit_seconds"])
        first = (f"; the first fit's {mfu * full['tokens_per_s'] / fastest['tokens_per_s']:.3f}"
                 if fits > 1 else "")
        print(f"{data} full: MFU {mfu:.3f} (fastest of {fits} fit(s){first}; train-only "
              f"{train_only_mfu:.3f}; FLOPs computed {computed:.3f})")
        full_epoch_s = full["train_seconds"] / max(full["epochs_run"], 1e-9)
        frozen_ratio = full_epoch_s / frozen["later_epoch_s"] if frozen["later_epoch_s"] else 0.0
        accuracy_gap = 100 * sum(full["accuracy_gaps"]) / len(full["accuracy_gaps"])
        if len(full["accuracy_gaps"]) > 1:
            print(f"{data} accuracy gap, baseline - full, seeds 42..{41 + len(full['accuracy_gaps'])}: "
                  + ", ".join(f"{100 * g:+.2f}" for g in full["accuracy_gaps"]) + " points")
        targets += [(f"{data}_full_speedup", full["speedup"], ">= 3.5x baseline ex/s", full["speedup"] >= 3.5),
                    (f"{data}_accuracy_gap_points", accuracy_gap,
                     f"<= 1 below baseline, mean of {len(full['accuracy_gaps'])} seed(s)", accuracy_gap <= 1),
                    (f"{data}_full_mfu", mfu, ">= 0.6", mfu >= 0.6),
                    (f"{data}_frozen_later_epoch_speedup", frozen_ratio, ">= 20x a full epoch", frozen_ratio >= 20)]
        lora = next(r for r in rows if r["data"] == data and r["method"] == "lora")
        frozen_margin = 100 * (frozen["macro_f1"] - frozen["tfidf_f1"])
        lora_gap = 100 * (full["macro_f1"] - lora["macro_f1"])
        targets += [(f"{data}_frozen_vs_tfidf_f1_points", frozen_margin, ">= 0", frozen_margin >= 0),
                    (f"{data}_lora_below_full_f1_points", lora_gap, "<= 2", lora_gap <= 2)]
    finish(targets)


if __name__ == "__main__":
    main()
