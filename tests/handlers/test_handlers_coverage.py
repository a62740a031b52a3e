"""Every listener the app registers is driven by at least one in-process test: a new `@app.command`,
`@app.action`, `@app.view`, `@app.event` or `@app.options` without a test in tests/handlers fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.helpers import listener_names
from tests.inprocess import COVERED

HERE = Path(__file__).parent


def covered_by_the_tests() -> set[str]:
    """What the `@covers(...)` marks of tests/handlers name (their modules imported here if need be)."""
    for path in sorted(HERE.glob("test_handlers_*.py")):
        if path.name != Path(__file__).name:
            spec = importlib.util.spec_from_file_location(f"_coverage_{path.stem}", path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return set(COVERED)


def test_every_registered_listener_has_an_in_process_test(tutor_inproc):
    registered = listener_names(tutor_inproc.app)
    assert len(registered) >= 23, sorted(registered)
    covered = covered_by_the_tests()
    assert not registered - covered, f"listeners without an in-process test: {sorted(registered - covered)}"
    assert not covered - registered, f"tests name listeners that no longer exist: {sorted(covered - registered)}"
