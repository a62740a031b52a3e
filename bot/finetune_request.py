"""The `/finetune` request: its one home on the bot side.

Slack text (`data=support_tickets epochs=2 method=lora`), the request modal's fields and exercise
presets all become one typed `FinetuneRequest` here, through the same per-option checks; the job row
stores `to_dict()`, and the worker rebuilds it with `from_dict()` and hands the trainer plain
arguments (`train_config`). Every problem is a `RequestError` that names the option (`field`, so a
modal can put the message under the right input) and says what to type instead. Data may be a sample
set, a Slack upload (by file id) or a hub data set when the hub answers; never a URL or a path typed
by the user. Plain Python: the bot process imports this, never torch.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from bot.slack import escape
from training.config import (BATCH_RANGE, CHAT_DEFAULT_BATCH, CHAT_DEFAULT_EPOCHS, CHAT_DEFAULT_LR, DEFAULT_BATCH,
                             DEFAULT_EPOCHS, EPOCH_RANGE, LORA_MIN_STEPS, LR_RANGE, METHODS, MIN_PER_CLASS,
                             TrainConfig, default_lrs_text, learning_rate_for)
from training.registry import DEFAULT_MODEL, DEFAULT_MODELS, TASKS, default_method, find_model, model_names

SAMPLE_SUFFIXES = (".csv", ".tsv", ".jsonl")
DATA_KINDS = ("sample", "upload", "hub")
KEYS = ("task", "data", "upload", "epochs", "lr", "method", "model", "text", "label", "per_class",
        "batch", "check")
CHAT_SAMPLE = "support_chat"  # task=chat's sample set, used when no data is named
CHAT_METHODS = ("lora", "full")
_CLASSIFY_ONLY = ("text", "label", "per_class")  # options that mean nothing to a chat fine-tune
_KEY_ALIASES = {"batch_size": "batch", "learning_rate": "lr", "dataset": "data", "file": "upload",
                "perclass": "per_class", "text_column": "text", "label_column": "label",
                "epoch": "epochs", "validate": "check"}
_EXAMPLES = {"task": "chat", "data": "support_tickets", "upload": "F0123ABCD", "epochs": "3", "lr": "5e-5",
             "method": "lora", "model": "minilm", "text": "body", "label": "category",
             "per_class": "16", "batch": "16", "check": "yes"}
_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}
_SLACK_FILE_ID = re.compile(r"^F[A-Z0-9]{6,20}$")
_HUB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_COLUMN = re.compile(r"^[^\x00-\x1f<>&`]{1,100}$")
_FILE_LIKE = re.compile(r"\.(csv|tsv|txt|json|jsonl|zip|gz|xlsx?|parquet)$", re.I)


class RequestError(Exception):
    """A request that cannot be used as given; `message` is Slack mrkdwn for the learner, `field`
    the option it is about (None when it is about the whole request)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def sample_datasets(content_dir: Path) -> dict[str, Path]:
    """Sample data set name -> file, from the course's datasets/ folder (csv, tsv, jsonl)."""
    folder = content_dir / "datasets"
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in SAMPLE_SUFFIXES and p.is_file()}


@dataclass(frozen=True)
class FinetuneRequest:
    """A validated request. `data_kind` is "sample", "upload" or "hub"; `data` is the sample name, the
    Slack file id, or the hub `owner/name`; `local_path` is the file the bot resolved it to (sample or
    downloaded upload), so a worker needs no Slack call to find its data."""

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
    local_path: str | None = None
    task: str = "classify"

    @property
    def learning_rate(self) -> float:
        return learning_rate_for(self.method, self.lr, self.task)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FinetuneRequest":
        """Rebuild from `to_dict()` output (a job row); values are validated again."""
        try:
            request = cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError as exc:
            raise RequestError("bad_request", f"This saved request cannot be read: {exc}.") from exc
        _validate(request)
        return request

    def resolved(self, local_path: Path | None) -> "FinetuneRequest":
        return replace(self, local_path=str(local_path) if local_path else None)

    def describe(self) -> str:
        return describe(self.to_dict())

    def train_config(self, out_dir: str) -> TrainConfig:
        """The trainer's plain arguments: a local file (or a hub name), columns and options."""
        return TrainConfig(
            out_dir=out_dir, data_path=self.local_path,
            hub_dataset=self.data if self.data_kind == "hub" else None,
            text_column=self.text_column, label_column=self.label_column, model=self.model,
            method=self.method, epochs=self.epochs, lr=self.lr, batch_size=self.batch_size,
            per_class=self.per_class, task=self.task,
            data_name=self.data if self.data_kind != "upload" else f"upload {self.data}")


def describe(request: dict) -> str:
    """One mrkdwn line for a request (a `to_dict()`, also of an old job row), e.g.
    `support_tickets` · minilm · full · 3 epochs · lr 5e-05."""
    source = request.get("data") if request.get("data_kind") != "upload" else "your upload"
    parts = [f"`{escape(str(source))}`", escape(str(request.get("model", ""))), escape(str(request.get("method", "")))]
    if request.get("task") == "chat":
        parts.insert(0, "chat")
    parts.append(f"{request.get('epochs')} epoch{'s' if request.get('epochs') != 1 else ''}")
    if request.get("lr"):
        parts.append(f"lr {request['lr']:g}")
    if request.get("per_class"):
        parts.append(f"{request['per_class']} per class")
    return " · ".join(parts)


class RequestParser:
    """Turns Slack text or the modal's fields into a `FinetuneRequest`. `samples` are the course's
    sample sets; `hub_online` says whether the Hugging Face hub answers (asked only when needed)."""

    def __init__(self, samples: dict[str, Path], hub_online: Callable[[], bool]):
        self.samples, self.hub_online = samples, hub_online

    def parse(self, text: str) -> FinetuneRequest:
        """`/finetune` arguments such as `data=support_tickets epochs=2 method=lora`."""
        values: dict[str, str] = {}
        for key, value in _split_pairs(text):
            if key in values:
                raise RequestError("duplicate_option", f"`{key}` is given twice: keep one, e.g. `{key}={_esc(value)}`.", key)
            values[key] = value
        return self.build(values)

    def from_form(self, fields: dict[str, str | None]) -> FinetuneRequest:
        """The request modal's fields (block id → value); empty fields take their defaults."""
        return self.build({key: value.strip() for key, value in fields.items() if value and value.strip()})

    def build(self, values: dict[str, str]) -> FinetuneRequest:
        """Each option checked by its own rule; the first problem is raised, naming its option."""
        unknown = [key for key in values if key not in KEYS]
        if unknown:
            raise RequestError("unknown_option", _unknown("option", unknown[0], list(KEYS)), unknown[0])
        if "data" in values and "upload" in values:
            raise RequestError("two_data_sources", "Give one data source: either `data=` or `upload=`, not both.", "data")
        task = _choice(values.get("task", "classify"), "task", TASKS)
        chat = task == "chat"
        if chat:
            for key in _CLASSIFY_ONLY:
                if key in values:
                    raise RequestError("not_for_chat", f"`{key}=` is for classification; a chat fine-tune reads "
                                       "`messages` (JSONL) or `prompt` and `response` columns. Leave it out.", key)
            if "data" not in values and "upload" not in values and CHAT_SAMPLE in self.samples:
                values = {**values, "data": CHAT_SAMPLE}
        data_kind, data = self._data_source(values)
        if chat and data_kind == "hub":
            raise RequestError("not_for_chat", "A chat fine-tune takes a sample (`data=support_chat`) or your "
                               "upload (`upload=F...`), not a hub data set.", "data")
        model = self._model(values.get("model", DEFAULT_MODELS[task]), task)
        method = _choice(values.get("method", default_method(task, model)), "method",
                         CHAT_METHODS if chat else METHODS)
        request = FinetuneRequest(
            data_kind=data_kind, data=data, model=model, method=method, task=task,
            epochs=_int(values, "epochs", CHAT_DEFAULT_EPOCHS if chat else DEFAULT_EPOCHS),
            lr=_float(values, "lr", None),
            batch_size=_int(values, "batch", CHAT_DEFAULT_BATCH if chat else DEFAULT_BATCH),
            per_class=_int(values, "per_class", None),
            text_column=_column(values, "text"), label_column=_column(values, "label"),
            check_only=_bool(values.get("check", "no"), "check"),
            local_path=str(self.samples[data]) if data_kind == "sample" else None)
        _validate(request)
        return request

    def help_text(self) -> str:
        """The `/finetune help` message (Slack mrkdwn)."""
        models = "\n".join(f"• `{s.name}`: {s.description}" for s in (find_model(n) for n in model_names()))
        return (
            "*Fine-tune a text classifier from Slack*\n"
            "`/finetune data=support_tickets epochs=3 method=lora`\n\n"
            f"*Data* — `data=NAME` for a sample ({self._samples_list()}), or upload a CSV, TSV or JSONL file "
            "here and use `upload=F…` (its file id). Links and paths are not accepted.\n"
            "*Columns* — found by name (text/message/body…, label/category/class…) or content; "
            "set them with `text=COLUMN label=COLUMN`.\n"
            f"*Model* — `model=NAME`:\n{models}\n"
            "*Method* — `method=full` (train everything), `frozen` (train only the head: fastest), "
            "`lora` (small adapters on attention).\n"
            f"*Knobs* — `epochs=` {EPOCH_RANGE[0]}–{EPOCH_RANGE[1]} (default {DEFAULT_EPOCHS}), "
            f"`lr=` {LR_RANGE[0]:g}–{LR_RANGE[1]:g} (default {default_lrs_text()}; `lora` runs at least "
            f"{LORA_MIN_STEPS} steps), "
            f"`batch=` {BATCH_RANGE[0]}–{BATCH_RANGE[1]}, `per_class=N` (use at most N training "
            "examples per class).\n"
            "*Check first* — `check=yes` validates the data and reports problems without training.\n"
            "*Your runs* — `/finetune runs` lists them; `/finetune compare 12 15` compares two to four.\n"
            "*Challenges* — `/finetune challenge` shows the leaderboards; admins open one with "
            "`/finetune challenge new data=support_tickets metric=macro_f1 ends=2026-12-20`.\n"
            "*Chat* — `/finetune task=chat` (data `support_chat` unless you name one) tunes a small chat model "
            f"(`model=` {', '.join(f'`{n}`' for n in model_names('chat'))}; default `{DEFAULT_MODELS['chat']}`, "
            "offline) with `method=lora` (default) or `full` on JSONL `messages` or a CSV with `prompt` and "
            f"`response`; default {CHAT_DEFAULT_EPOCHS} epochs, lr {CHAT_DEFAULT_LR['lora']:g}. The results show "
            "base and tuned answers side by side.\n"
            "Also: `/finetune status`, `/finetune cancel`."
        )

    def _model(self, name: str, task: str = "classify") -> str:
        spec = find_model(name)
        if spec is None or spec.task != task:
            raise RequestError("unknown_model", _unknown("model", name, model_names(task))
                               + f" (models for `task={task}`). Hub models outside this list are not allowed.", "model")
        if spec.needs_hub and not self.hub_online():
            raise RequestError("hub_offline", f"`model={spec.name}` downloads from the Hugging Face hub, which this "
                               "workspace cannot reach right now. Use `model=minilm` (bundled, offline) or "
                               "`model=tiny`.", "model")
        return spec.name

    def _data_source(self, values: dict[str, str]) -> tuple[str, str]:
        if "upload" in values:
            file_id = values["upload"]
            if not _SLACK_FILE_ID.match(file_id):
                raise RequestError("bad_upload", f"`upload={_esc(file_id)}` is not a Slack file id (they look like "
                                   "`F0123ABCD`). Upload your CSV in this channel and use its id, or open "
                                   "`/finetune` with no options for the form.", "upload")
            return "upload", file_id
        if "data" not in values:
            raise RequestError("missing_data", "Say which data to train on: `data=support_tickets` "
                               "(a sample), or upload a CSV and use `upload=F...`.", "data")
        name = values["data"]
        lowered = name.lower()
        if "://" in name or lowered.startswith(("http:", "https:", "ftp:", "file:", "www.")):
            raise RequestError("url_not_allowed", "Links cannot be used as data. Download the file "
                               "and upload it to Slack, then use `upload=F...`.", "data")
        if name.startswith(("/", "~", ".", "\\")) or ".." in name or "\\" in name or ":" in name \
                or name.count("/") > 1 or "\x00" in name:
            raise RequestError("path_not_allowed", f"`data={_esc(name)}` looks like a file path; the bot never "
                               "reads files from its own disk. Upload your file to Slack and use `upload=F...`, "
                               "or pick a sample: " + self._samples_list(), "data")
        stem = name[: -len(Path(name).suffix)] if Path(name).suffix.lower() in SAMPLE_SUFFIXES else name
        if stem in self.samples:
            return "sample", stem
        if "/" in name:
            if _FILE_LIKE.search(name) or not _HUB_NAME.match(name):
                raise RequestError("path_not_allowed", f"`data={_esc(name)}` looks like a file path; "
                                   "upload the file to Slack and use `upload=F...` instead.", "data")
            _hub_dataset_allowed(name)
            if not self.hub_online():
                raise RequestError("hub_offline", f"`data={_esc(name)}` is a Hugging Face hub data set, and the "
                                   "hub cannot be reached from here right now. Use a sample ("
                                   + self._samples_list() + ") or upload a CSV.", "data")
            return "hub", name
        raise RequestError("unknown_dataset", f"There is no sample data set called `{_esc(name)}`. Samples: "
                           + self._samples_list() + ". Or upload a CSV and use `upload=F...`.", "data")

    def _samples_list(self) -> str:
        return ", ".join(f"`{s}`" for s in self.samples) if self.samples else "(no samples installed)"


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
            raise RequestError("missing_value", f"`{key}=` has no value: e.g. `{key}={_EXAMPLES.get(key, 'value')}`.", key)
        pairs.append((key, value.strip()))
    return pairs


def _validate(request: FinetuneRequest) -> None:
    """Bounds shared by the parser and `from_dict`."""
    if request.data_kind not in DATA_KINDS:
        raise RequestError("bad_request", "The data source kind must be sample, upload or hub.", "data")
    if request.task not in TASKS:
        raise RequestError("bad_task", _unknown("task", request.task, list(TASKS)), "task")
    methods = CHAT_METHODS if request.task == "chat" else METHODS
    if request.method not in methods:
        raise RequestError("bad_method", _unknown("method", request.method, list(methods)), "method")
    spec = find_model(request.model)
    if spec is None or spec.task != request.task:
        raise RequestError("unknown_model", _unknown("model", request.model, model_names(request.task)), "model")
    _bounded("epochs", request.epochs, *EPOCH_RANGE)
    _bounded("batch", request.batch_size, *BATCH_RANGE)
    if request.lr is not None:
        _bounded("lr", request.lr, *LR_RANGE)
    if request.per_class is not None and request.per_class < MIN_PER_CLASS:
        raise RequestError("out_of_range", f"`per_class={request.per_class}` is too small: each class needs at "
                           f"least {MIN_PER_CLASS} examples to train and test, e.g. `per_class=16`.", "per_class")


def _bounded(key: str, value, low, high) -> None:
    if not (low <= value <= high):
        raise RequestError("out_of_range", f"`{key}={value:g}` is out of range: use a value from {low:g} to "
                           f"{high:g}, e.g. `{key}={_EXAMPLES[key]}`.", key)


def _int(values: dict, key: str, default):
    number = _float(values, key, default)
    if number is default:
        return default
    if number != int(number):
        raise RequestError("not_a_whole_number", f"`{key}={_esc(values[key])}` must be a whole number, "
                           f"e.g. `{key}={_EXAMPLES[key]}`.", key)
    return int(number)


def _float(values: dict, key: str, default):
    if key not in values:
        return default
    raw = values[key]
    try:
        number = float(raw)
    except ValueError:
        raise RequestError("not_a_number", f"`{key}={_esc(raw)}` is not a number: use something like "
                           f"`{key}={_EXAMPLES[key]}`.", key) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise RequestError("not_a_number", f"`{key}={_esc(raw)}` is not a usable number: use something like "
                           f"`{key}={_EXAMPLES[key]}`.", key)
    return number


def _choice(value: str, key: str, allowed) -> str:
    if value.lower() in allowed:
        return value.lower()
    raise RequestError(f"bad_{key}", _unknown(key, value, list(allowed)), key)


def _bool(value: str, key: str) -> bool:
    if value.lower() in _YES:
        return True
    if value.lower() in _NO:
        return False
    raise RequestError("bad_flag", f"`{key}={_esc(value)}` should be `yes` or `no`.", key)


def _column(values: dict, key: str) -> str | None:
    if key not in values:
        return None
    if not _COLUMN.match(values[key]):
        raise RequestError("bad_column", f"`{key}=` should be a column name from your file's header, "
                           f"e.g. `{key}={_EXAMPLES[key]}`.", key)
    return values[key]


def _hub_dataset_allowed(name: str) -> None:
    """The operator's allowlist (TUTOR_HUB_DATASETS), checked here too so the learner hears at once."""
    from training.data import check_hub_dataset_allowed
    from training.errors import DataError

    try:
        check_hub_dataset_allowed(name)
    except DataError as error:
        raise RequestError(error.code, error.message.replace(f"`{name}`", f"`data={_esc(name)}`"), "data") from None


def _unknown(kind: str, value: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(value.lower(), allowed, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return f"`{_esc(value)}` is not a known {kind}.{hint} Choose one of: " + ", ".join(f"`{a}`" for a in allowed) + "."


def _esc(text: str) -> str:
    """User text quoted inside `code`: escaped for mrkdwn, kept short, backticks made harmless."""
    text = text if len(text) <= 80 else text[:77] + "..."
    return escape(text).replace("`", "'")
