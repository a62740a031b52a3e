"""Paths of the course test fixtures, importable from the test modules."""

from pathlib import Path

HERE = Path(__file__).parent
FIXTURE_CONTENT = HERE / "fixtures" / "content"
BROKEN = HERE / "broken"
REAL_CONTENT = HERE.parents[1] / "content"
