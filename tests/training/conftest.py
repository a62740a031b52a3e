"""Fixtures for the training tests: a private content folder with one sample data set, the hub
switched off, and toy labelled data written on the fly (never copied from shared data sets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from training_toydata import toy_rows, write_csv


@pytest.fixture(autouse=True)
def isolated_content(tmp_path_factory, monkeypatch):
    content = tmp_path_factory.mktemp("content")
    (content / "datasets").mkdir()
    write_csv(content / "datasets" / "toy_topics.csv", toy_rows(20))
    monkeypatch.setenv("TUTOR_CONTENT_DIR", str(content))
    monkeypatch.setenv("TUTOR_HUB", "off")
    return content


@pytest.fixture
def toy_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "toy.csv", toy_rows(40))
