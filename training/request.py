"""Parse and validate the `/finetune` argument string into a `FinetuneRequest`.

This module runs in the bot process: it imports no torch, transformers or numpy. Every
problem becomes a `RequestError` whose message tells a learner what to type instead.
Data may be a sample set, a Slack upload (by file id) or a hub data set when the hub
answers; never a URL or a path typed by the user.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path

from training.config import DEFAULT_BATCH, DEFAULT_EPOCHS, DEFAULT_LR, METHODS, TrainConfig
from training.errors import RequestError
from training.registry import DEFAULT_MODEL, find_model, hub_reachable, model_names

SAMPLE_SUFFIXES = (".csv", ".tsv", ".jsonl")
EPOCH_RANGE = (1, 20)
LR_RANGE = (1e-6, 1e-2)
BATCH_RANGE = (4, 128)
MIN_PER_CLASS = 2
KEYS = ("data", "upload", "epochs", "lr", "method", "model", "text", "label", "per_class",
        "batch", "check")
_KEY_ALIASES = {"batch_size": "batch", "learning_rate": "lr", "dataset": "data", "file": "upload",
                "perclass": "per_class", "text_column": "text", "label_column": "label",
                "epoch": "epochs", "validate": "check"}
_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}
_SLACK_FILE_ID = re.compile(r"^F[A-Z0-9]{6,20}$")
_HUB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_COLUMN = re.compile(r"^[^\x00-\x1f<>&`]{1,100}$")
_FILE_LIKE = re.compile(r"\.(csv|tsv|txt|json|jsonl|zip|gz|xlsx?|parquet)$", re.I)


def content_dir() -> Path:
    """The course content folder; TUTOR_CONTENT_DIR overrides it (tests, custom courses)."""
    override = os.environ.get("TUTOR_CONTENT_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "content"


def sample_datasets() -> dict[str, Path]:
    """Sample data set name -> file, from content/datasets/ (csv, tsv, jsonl)."""
    folder = content_dir() / "datasets"
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir())
            if p.suffix.lower() in SAMPLE_SUFFIXES and p.is_file()}


@dataclass(frozen=True)
class FinetuneRequest:
    """A validated request. `data_kind` is "sample", "upload" or "hub"; `data` is the sample
    name, the Slack file id, or the hub `owner/name`."""

    data_kind: str
    data: str
    model: str = DEFAULT_MODEL
    method: str = "full"
    epochs: int = DEFAULT_EPOCHS
    lr: float | None = None
    batch_size: int = DEFAULT_BATCH
    per_class: int | None = None
    text_column: str | None = None
    label_column: str | None = None
    check_only: bool = False

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.method]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FinetuneRequest":
        """Rebuild from `to_dict()` output (e.g. a job row); values are validated again."""
        try:
            req = cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError as exc:
            raise RequestError("bad_request", f"This saved request cannot be read: {exc}.") from exc
        _validate(req)
        return req

    def sample_path(self) -> Path:
        """The file of a sample data set (only for data_kind == "sample")."""
        return sample_datasets()[self.data]

    def describe(self) -> str:
        """One line for Slack messages, e.g. `support_tickets · minilm · full · 3 epochs`."""
        source = {"sample": self.data, "upload": "your upload", "hub": self.data}[self.data_kind]
        return (f"{source} · {self.model} · {self.method} · {self.epochs} epoch"
                f"{'s' if self.epochs != 1 else ''} · lr {self.learning_rate:g}")

    def to_train_config(self, data_path: str | None, out_dir: str) -> TrainConfig:
        """The trainer's config; `data_path` is the local file the worker resolved
        (sample path or downloaded upload); hub data sets need none."""
        return TrainConfig(
            out_dir=out_dir, data_path=data_path,
            hub_dataset=self.data if self.data_kind == "hub" else None,
            text_column=self.text_column, label_column=self.label_column, model=self.model,
            method=self.method, epochs=self.epochs, lr=self.lr, batch_size=self.batch_size,
            per_class=self.per_class,
            data_name=self.data if self.data_kind != "upload" else f"upload {self.data}")


def parse_request(text: str, hub_online: bool | None = None) -> FinetuneRequest:
    """Parse `/finetune` arguments such as `data=support_tickets epochs=2 method=lora`.
    `hub_online` overrides the hub probe (None: probe when a hub name is used)."""
    pairs = _split_pairs(text)
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise RequestError("duplicate_option",
                               f"`{key}` is given twice: keep one, e.g. `{key}={_esc(value)}`.")
        values[key] = value
    if "data" in values and "upload" in values:
        raise RequestError("two_data_sources",
                           "Give one data source: either `data=` or `upload=`, not both.")
    data_kind, data = _data_source(values, hub_online)
    method = _choice(values.get("method", "full"), "method", METHODS)
    model_spec = find_model(values.get("model", DEFAULT_MODEL))
    if model_spec is None:
        raise RequestError("unknown_model", _unknown("model", values["model"], model_names())
                           + " Hub models outside this list are not allowed.")
    if model_spec.needs_hub and not _online(hub_online):
        raise RequestError("hub_offline", f"`model={model_spec.name}` downloads from the Hugging "
                           "Face hub, which this workspace cannot reach right now. Use "
                           "`model=minilm` (bundled, offline) or `model=tiny`.")
    req = FinetuneRequest(
        data_kind=data_kind, data=data, model=model_spec.name, method=method,
        epochs=_int(values, "epochs", DEFAULT_EPOCHS, "epochs=3"),
        lr=_float(values, "lr", None, "lr=5e-5"),
        batch_size=_int(values, "batch", DEFAULT_BATCH, "batch=16"),
        per_class=_int(values, "per_class", None, "per_class=16"),
        text_column=_column(values, "text"), label_column=_column(values, "label"),
        check_only=_bool(values.get("check", "no"), "check"),
    )
    _validate(req)
    return req


def _split_pairs(text: str) -> list[tuple[str, str]]:
    text = (text or "").replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'")
    text = text.replace("\u2019", "'").strip()
    if not text:
        raise RequestError("empty_request", "Say which data to train on, e.g. "
                           "`/finetune data=support_tickets` — or `/finetune help` for all options.")
    try:
        tokens = shlex.split(text)
    except ValueError:
        raise RequestError("bad_quotes", "A quote is not closed: write values with spaces as "
                           '`text="my column"`.') from None
    pairs = []
    for index, token in enumerate(tokens):
        if "=" not in token:
            if index == 0 and token.lower() != "help":
                pairs.append(("data", token))  # `/finetune support_tickets` is friendly enough
                continue
            raise RequestError("missing_value", f"`{_esc(token)}` needs a value: write options as "
                               "`key=value`, e.g. `epochs=3`.")
        key, value = token.split("=", 1)
        key = key.strip().lower().replace("-", "_")
        key = _KEY_ALIASES.get(key, key)
        if key not in KEYS:
            raise RequestError("unknown_option", _unknown("option", key, list(KEYS)))
        if not value.strip():
            raise RequestError("missing_value", f"`{key}=` has no value: e.g. `{key}={_example(key)}`.")
        pairs.append((key, value.strip()))
    return pairs


def _data_source(values: dict[str, str], hub_online: bool | None) -> tuple[str, str]:
    if "upload" in values:
        file_id = values["upload"]
        if not _SLACK_FILE_ID.match(file_id):
            raise RequestError("bad_upload", f"`upload={_esc(file_id)}` is not a Slack file id "
                               "(they look like `F0123ABCD`). Upload your CSV in this channel and "
                               "use its id, or open `/finetune` with no options for the form.")
        return "upload", file_id
    if "data" not in values:
        raise RequestError("missing_data", "Say which data to train on: `data=support_tickets` "
                           "(a sample), or upload a CSV and use `upload=F...`.")
    name = values["data"]
    samples = sample_datasets()
    lowered = name.lower()
    if "://" in name or lowered.startswith(("http:", "https:", "ftp:", "file:", "www.")):
        raise RequestError("url_not_allowed", "Links cannot be used as data. Download the file "
                           "and upload it to Slack, then use `upload=F...`.")
    if name.startswith(("/", "~", ".", "\\")) or ".." in name or "\\" in name or ":" in name \
            or name.count("/") > 1 or "\x00" in name:
        raise RequestError("path_not_allowed", f"`data={_esc(name)}` looks like a file path; the "
                           "bot never reads files from its own disk. Upload your file to Slack "
                           "and use `upload=F...`, or pick a sample: " + _samples_list(samples))
    stem = name[: -len(Path(name).suffix)] if Path(name).suffix.lower() in SAMPLE_SUFFIXES else name
    if stem in samples:
        return "sample", stem
    if "/" in name:
        if _FILE_LIKE.search(name) or not _HUB_NAME.match(name):
            raise RequestError("path_not_allowed", f"`data={_esc(name)}` looks like a file path; "
                               "upload the file to Slack and use `upload=F...` instead.")
        _hub_dataset_allowed(name)
        if not _online(hub_online):
            raise RequestError("hub_offline", f"`data={_esc(name)}` is a Hugging Face hub data "
                               "set, and the hub cannot be reached from here right now. Use a "
                               "sample (" + _samples_list(samples) + ") or upload a CSV.")
        return "hub", name
    raise RequestError("unknown_dataset", f"There is no sample data set called `{_esc(name)}`. "
                       "Samples: " + _samples_list(samples) + ". Or upload a CSV and use "
                       "`upload=F...`.")


def _validate(req: FinetuneRequest) -> None:
    """Bounds shared by `parse_request` and `from_dict`."""
    if req.data_kind not in ("sample", "upload", "hub"):
        raise RequestError("bad_request", "The data source kind must be sample, upload or hub.")
    if req.method not in METHODS:
        raise RequestError("bad_method", _unknown("method", req.method, list(METHODS)))
    if find_model(req.model) is None:
        raise RequestError("unknown_model", _unknown("model", req.model, model_names()))
    _bounded("epochs", req.epochs, *EPOCH_RANGE, "epochs=3")
    _bounded("batch", req.batch_size, *BATCH_RANGE, "batch=16")
    if req.lr is not None:
        _bounded("lr", req.lr, *LR_RANGE, "lr=5e-5")
    if req.per_class is not None and req.per_class < MIN_PER_CLASS:
        raise RequestError("out_of_range", f"`per_class={req.per_class}` is too small: each class "
                           f"needs at least {MIN_PER_CLASS} examples to train and test, e.g. "
                           "`per_class=16`.")


def _bounded(key: str, value, low, high, example: str) -> None:
    if not (low <= value <= high):
        raise RequestError("out_of_range", f"`{key}={value:g}` is out of range: use a value "
                           f"from {low:g} to {high:g}, e.g. `{example}`.")


def _int(values: dict, key: str, default, example: str):
    number = _float(values, key, default, example)
    if number is default:
        return default
    if number != int(number):
        raise RequestError("not_a_whole_number", f"`{key}={_esc(values[key])}` must be a whole number, "
                           f"e.g. `{example}`.")
    return int(number)


def _float(values: dict, key: str, default, example: str):
    if key not in values:
        return default
    raw = values[key]
    try:
        number = float(raw)
    except ValueError:
        raise RequestError("not_a_number", f"`{key}={_esc(raw)}` is not a number: use something "
                           f"like `{example}`.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise RequestError("not_a_number", f"`{key}={_esc(raw)}` is not a usable number: use "
                           f"something like `{example}`.")
    return number


def _choice(value: str, key: str, allowed) -> str:
    if value.lower() in allowed:
        return value.lower()
    raise RequestError(f"bad_{key}", _unknown(key, value, list(allowed)))


def _bool(value: str, key: str) -> bool:
    if value.lower() in _YES:
        return True
    if value.lower() in _NO:
        return False
    raise RequestError("bad_flag", f"`{key}={_esc(value)}` should be `yes` or `no`.")


def _column(values: dict, key: str) -> str | None:
    if key not in values:
        return None
    name = values[key]
    if not _COLUMN.match(name):
        raise RequestError("bad_column", f"`{key}=` should be a column name from your file's "
                           f"header, e.g. `{key}={_example(key)}`.")
    return name


def _hub_dataset_allowed(name: str) -> None:
    """The operator's allowlist (TUTOR_HUB_DATASETS), checked here too so the learner hears at once."""
    from training.data import check_hub_dataset_allowed
    from training.errors import DataError

    try:
        check_hub_dataset_allowed(name)
    except DataError as error:
        raise RequestError(error.code, error.message.replace(f"`{name}`", f"`data={_esc(name)}`")) from None


def _online(hub_online: bool | None) -> bool:
    return hub_reachable() if hub_online is None else hub_online


def _unknown(kind: str, value: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(value.lower(), allowed, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return (f"`{_esc(value)}` is not a known {kind}.{hint} Choose one of: "
            + ", ".join(f"`{a}`" for a in allowed) + ".")


def _samples_list(samples: dict) -> str:
    return ", ".join(f"`{s}`" for s in samples) if samples else "(no samples installed)"


def _example(key: str) -> str:
    return {"data": "support_tickets", "upload": "F0123ABCD", "epochs": "3", "lr": "5e-5",
            "method": "lora", "model": "minilm", "text": "body", "label": "category",
            "per_class": "16", "batch": "16", "check": "yes"}.get(key, "value")


def _esc(text: str) -> str:
    """Escape user text for Slack mrkdwn (&, <, >) and keep it short."""
    text = text if len(text) <= 80 else text[:77] + "..."
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def help_text() -> str:
    """The `/finetune help` message (Slack mrkdwn)."""
    samples = _samples_list(sample_datasets())
    models = "\n".join(f"• `{s.name}`: {s.description}" for s in
                       (find_model(n) for n in model_names()))
    return (
        "*Fine-tune a text classifier from Slack*\n"
        "`/finetune data=support_tickets epochs=3 method=lora`\n\n"
        f"*Data* — `data=NAME` for a sample ({samples}), or upload a CSV, TSV or JSONL file "
        "here and use `upload=F…` (its file id). Links and paths are not accepted.\n"
        "*Columns* — found by name (text/message/body…, label/category/class…) or content; "
        "set them with `text=COLUMN label=COLUMN`.\n"
        f"*Model* — `model=NAME`:\n{models}\n"
        "*Method* — `method=full` (train everything), `frozen` (train only the head: fastest), "
        "`lora` (small adapters on attention).\n"
        f"*Knobs* — `epochs=` {EPOCH_RANGE[0]}–{EPOCH_RANGE[1]} (default {DEFAULT_EPOCHS}), "
        f"`lr=` {LR_RANGE[0]:g}–{LR_RANGE[1]:g} (default 5e-5 full, 5e-4 lora, 1e-3 frozen), "
        f"`batch=` {BATCH_RANGE[0]}–{BATCH_RANGE[1]}, `per_class=N` (use at most N training "
        "examples per class).\n"
        "*Check first* — `check=yes` validates the data and reports problems without training.\n"
        "Also: `/finetune status`, `/finetune cancel`."
    )
