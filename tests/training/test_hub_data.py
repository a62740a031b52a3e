"""Hub data sets: allowlisted (TUTOR_HUB_DATASETS), size-checked first, streamed, and read only up to
the row cap (issue 13, item 5). A fake `datasets` module stands in for the hub."""

from __future__ import annotations

import itertools
import sys
import types

import pytest

from training import data
from training.data import load_hub_table
from bot.finetune_request import RequestError
from training.errors import DataError


class _ClassLabel:
    names = ["neg", "pos"]


class _Endless:
    """An endless streamed split that counts the rows it hands out."""

    features = {"text": None, "label": _ClassLabel()}

    def __init__(self):
        self.pulled = 0

    def __iter__(self):
        for i in itertools.count():
            self.pulled += 1
            yield {"text": f"example {i}", "label": i % 2}


@pytest.fixture
def hub(monkeypatch):
    fake = types.SimpleNamespace(split=_Endless(), download_size=10_000, calls=[])

    def load_dataset(name, split=None, streaming=False, **kwargs):
        fake.calls.append(("load", name, streaming))
        if not streaming:
            raise MemoryError("the whole data set was asked for")
        return fake.split

    def load_dataset_builder(name, **kwargs):
        fake.calls.append(("builder", name))
        return types.SimpleNamespace(info=types.SimpleNamespace(download_size=fake.download_size, dataset_size=None))

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(
        load_dataset=load_dataset, load_dataset_builder=load_dataset_builder))
    monkeypatch.setenv("TUTOR_HUB_DATASETS", "someone/reviews")
    return fake


def test_a_huge_hub_set_is_streamed_and_read_up_to_the_row_cap(hub, monkeypatch):
    monkeypatch.setattr(data, "MAX_ROWS", 300)
    table = load_hub_table("someone/reviews")
    assert len(table) == 300 and not table.more_rows
    assert set(table.labels) == {"neg", "pos"} and table.texts[0] == "example 0"
    assert hub.split.pulled <= 301, "nothing past the cap is read"
    assert hub.calls[0] == ("builder", "someone/reviews"), "the size is checked before loading"


def test_a_hub_set_too_big_to_download_is_refused_before_loading(hub):
    hub.download_size = data.MAX_HUB_BYTES + 1
    with pytest.raises(DataError) as raised:
        load_hub_table("someone/reviews")
    assert raised.value.code == "hub_dataset_too_large" and "GB" in raised.value.message
    assert [c[0] for c in hub.calls] == ["builder"]


def test_only_allowlisted_hub_sets_are_accepted(hub, monkeypatch):
    with pytest.raises(DataError) as raised:
        load_hub_table("HuggingFaceFW/fineweb")
    assert raised.value.code == "hub_dataset_not_allowed" and "TUTOR_HUB_DATASETS" in raised.value.message
    assert hub.calls == [], "nothing is asked of the hub"
    with pytest.raises(RequestError) as refused:
        _parse("data=HuggingFaceFW/fineweb", hub_online=True)
    assert refused.value.code == "hub_dataset_not_allowed"
    assert _parse("data=someone/reviews", hub_online=True).data_kind == "hub"
    monkeypatch.delenv("TUTOR_HUB_DATASETS")
    with pytest.raises(RequestError):  # unset: a few small well-known sets only
        _parse("data=HuggingFaceFW/fineweb", hub_online=True)
    assert _parse("data=dair-ai/emotion", hub_online=True).data_kind == "hub"
    monkeypatch.setenv("TUTOR_HUB_DATASETS", "*")
    assert _parse("data=HuggingFaceFW/fineweb", hub_online=True).data_kind == "hub"


def test_a_malformed_allowlist_stops_start_up_naming_the_variable():
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as raised:
        load_settings({"TUTOR_HUB_DATASETS": "fineweb,../etc"})
    assert "TUTOR_HUB_DATASETS" in str(raised.value) and "\n" not in str(raised.value)


def _parse(text: str, hub_online: bool = False):
    from bot.finetune_request import RequestParser

    return RequestParser({}, lambda: hub_online).parse(text)
