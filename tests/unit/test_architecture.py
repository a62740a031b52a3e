"""The layout's rules, read from the source: no import cycles, `training/` knows nothing of Slack or the
bot, handlers hold no SQL and no torch, and every action id is defined once, in `bot.actions`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "training", "sandbox")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules this file imports, at any depth of the file (function-level imports count too:
    they close a cycle just the same once both functions run), except under `if TYPE_CHECKING:`."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    tree = ast.parse(path.read_text())
    for guarded in [n for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)]:
        guarded.body = []  # imports for type checkers only never run
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    # importing a.b.c runs the package a.b's __init__ first: that is an edge too
    names |= {".".join(name.split(".")[:i]) for name in set(names) for i in range(2, name.count(".") + 1)}
    return {name for name in names if name in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_package_parent(cycle: list[str]) -> bool:
    """A package's __init__ importing its own submodules is not a cycle of logic."""
    return all(any(other.startswith(m + ".") or m.startswith(other + ".") for other in cycle if other != m) for m in cycle)


def test_there_are_no_import_cycles():
    cycles = [c for c in _cycles(_graph()) if not _is_package_parent(c)]
    assert cycles == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_training_knows_nothing_of_slack_or_the_bot():
    for name, targets in _graph().items():
        if name.split(".")[0] == "training":
            assert not {t for t in targets if t.split(".")[0] in ("bot", "handlers", "sandbox")}, name
    for path in (ROOT / "training").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) slack", text, re.M), path
        assert "TUTOR_CONTENT_DIR" not in text and "mrkdwn" not in text.lower(), path


def test_handlers_hold_no_sql_and_no_torch():
    for path in (ROOT / "handlers").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) (sqlalchemy|torch|transformers)", text, re.M), path


def test_every_action_id_is_defined_once_in_the_button_protocol():
    """Action ids and button values are literals in `bot/actions.py` only: a renderer or a handler
    that spells one out again would drift from it."""
    from bot import actions

    ids = [cls.ACTION for cls in vars(actions).values()
           if isinstance(cls, type) and issubclass(cls, actions.Click) and "ACTION" in vars(cls)]
    ids += [actions.DRIP_TIME, actions.DRIP_WEEKDAYS, actions.REQUEST_MODAL, actions.TRY_MODAL]
    assert len(ids) == len(set(ids))
    for package in ("bot", "handlers"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "actions.py":
                continue
            text = path.read_text()
            spelled = [i for i in ids if re.search(rf"[\"']{re.escape(i)}(_\d+|_\{{)?[\"']", text)]
            assert spelled == [], f"{path.relative_to(ROOT)} spells out {spelled}"
