"""The error tree holds only errors the kiosk raises: every leaf is raised or caught in
the kiosk, its drivers or its screens, and every class descends from the one root."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from kiosk import errors

ROOT = Path(__file__).parent.parent


def names_used_outside_the_tree() -> set[str]:
    used: set[str] = set()
    for package in ("kiosk", "drivers", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "kiosk" / "errors.py":
                continue
            tree = ast.parse(path.read_text())
            used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
            used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                     for a in n.names}
    return used


def tree_classes() -> list[type]:
    return [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
            if cls.__module__ == errors.__name__]


def test_every_leaf_of_the_tree_is_used() -> None:
    leaves = [cls.__name__ for cls in tree_classes() if not cls.__subclasses__()]
    assert len(leaves) >= 5  # the scan really found the tree
    unused = sorted(set(leaves) - names_used_outside_the_tree())
    assert unused == [], f"errors no code raises or catches: use or remove {unused}"


def test_everything_descends_from_the_root() -> None:
    assert all(issubclass(cls, errors.KioskError) for cls in tree_classes())
