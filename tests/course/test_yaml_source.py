"""read_yaml: the data, the node tree as written (for line numbers), and the duplicate keys."""

from __future__ import annotations

import yaml

from bot.course.yaml_source import read_yaml

MERGED = """\
base: &base
  title: Base
  minutes: 5
lesson:
  <<: *base
  title: Override
"""


def test_a_merge_key_that_an_entry_overrides_is_not_a_duplicate(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text(MERGED)
    source, problems = read_yaml(path)
    assert problems == []
    assert source.data == yaml.safe_load(MERGED) == {"base": {"title": "Base", "minutes": 5},
                                                    "lesson": {"title": "Override", "minutes": 5}}
    assert source.line_of(["lesson", "title"]) == 6


def test_a_key_written_twice_is_reported_at_its_second_line(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("id: '1.1'\ntitle: A\ntitle: B\n")
    source, problems = read_yaml(path)
    assert [(p.message, p.line) for p in problems] == [("duplicate key 'title'", 3)]
    assert source.data == {"id": "1.1", "title": "B"}


def test_an_empty_file_has_no_data_and_no_problems(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    source, problems = read_yaml(path)
    assert (source.data, source.root, problems) == (None, None, [])
