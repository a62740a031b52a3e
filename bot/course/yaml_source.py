"""Reading YAML with its line numbers, so that every content problem can point at a line.

PyYAML's `safe_load` gives data without positions; `compose` gives the node tree with marks.
Both are read from the same text, and a pydantic error location is walked down the node tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same safe constructor either way


@dataclass(frozen=True)
class YamlProblem:
    message: str
    line: int | None
    path: str = ""


@dataclass(frozen=True)
class YamlSource:
    data: Any
    root: yaml.Node | None

    def line_of(self, location: tuple[Any, ...] | list[Any]) -> int | None:
        """1-based line of the deepest node on `location` (a pydantic `loc`); None without a tree."""
        node, line = self.root, _start_line(self.root)
        for part in location:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        node, line = value, key.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    node = node.value[part]
                    line = _start_line(node)
        return line


def read_yaml(path: Path) -> tuple[YamlSource | None, list[YamlProblem]]:
    """The parsed file, or the reason it cannot be parsed (with the line of the fault)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [YamlProblem(f"cannot read the file: {error}", None)]
    try:
        root, problems, data = _parse(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        context = getattr(error, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        return None, [YamlProblem(message, mark.line + 1 if mark else None)]
    return YamlSource(data, root), problems


def _parse(text: str) -> tuple[yaml.Node | None, list[YamlProblem], Any]:
    """The node tree (with marks), its duplicate keys, and the data (`safe_load`'s), by libyaml's parser
    when PyYAML has it: the pure-Python one took 0.43 s of the bot's 2 s start for the course's 20
    files, libyaml 0.014 s. Two parses, because building the data flattens merge keys (<<) into the
    tree, and `line_of` needs the tree as written."""
    root = yaml.compose(text, Loader=_LOADER)
    return root, _duplicate_keys(root), yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def _duplicate_keys(node: yaml.Node | None, path: str = "") -> list[YamlProblem]:
    """PyYAML keeps the last of two equal keys silently; an author means one of them."""
    problems: list[YamlProblem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            child = f"{path}.{name}" if path else name
            if name in seen:
                problems.append(YamlProblem(f"duplicate key {name!r}", key.start_mark.line + 1, child))
            seen.add(name)
            problems += _duplicate_keys(value, child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, f"{path}.{index}" if path else str(index))
    return problems


def _start_line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None
