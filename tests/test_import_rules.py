"""Import rules between the layers, read from the source with :mod:`ast` (nothing is
imported, so a rule holds even for code a test never runs):

* a driver uses only the public names of ``kiosk`` (the contract is :mod:`kiosk.ports`):
  no module under ``drivers/`` imports a name or module starting with ``_`` from
  ``kiosk``, nor reaches one through a ``kiosk`` module it imported;
* the core (``kiosk/core/``) stays pure: it imports nothing from ``drivers/``, nothing
  from the message catalogue (words are the shell's business), and of the configuration
  only the model: the types a rule reads, never the loading and checking of the file.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

# The configuration modules the core may import: the model only. Every other module named
# kiosk.config* or kiosk.settings* (defaults, loading, paths, driver sections) is off limits.
CORE_MAY_IMPORT_CONFIG = ("kiosk.config_model",)
CONFIG_FAMILY = ("kiosk.config", "kiosk.settings")

# Rule breaks being fixed at the time of writing, each with its reason. Remove an entry
# when its fix lands (the test then holds the line).
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imports(rel: str, tree: ast.Module) -> Iterator[tuple[int, str, str | None]]:
    """(line, module, name) for every import in the module at ``rel`` (a path from the
    repository root), wherever it sits (a function, an ``if TYPE_CHECKING`` block): a lazy
    import is still a dependency. ``name`` is None for ``import a.b``; relative imports are
    resolved to absolute ones."""
    package = rel.split("/")[:-1]  # a module's package, or a package's own for __init__
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            for alias in node.names:
                yield node.lineno, module, alias.name


def targets(module: str, name: str | None) -> list[str]:
    """The modules an import reaches: ``from kiosk import messages`` reaches
    kiosk.messages, ``from kiosk.config import Hours`` reaches kiosk.config."""
    if name is not None and is_module(f"{module}.{name}"):
        return [module, f"{module}.{name}"]
    return [module]


def in_kiosk(module: str) -> bool:
    return module == "kiosk" or module.startswith("kiosk.")


def driver_violations(rel: str, source: str) -> set[str]:
    tree = ast.parse(source, rel)
    found: set[str] = set()
    bound: set[str] = set()  # local names of kiosk modules: kiosk.config._Section is private too
    for _, module, name in imports(rel, tree):
        if not in_kiosk(module):
            continue
        if any(private(part) for part in module.split(".")):
            found.add(module)
        if name is not None and private(name):
            found.add(f"{module}.{name}")
        if name is not None and is_module(f"{module}.{name}"):
            bound.add(name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound |= {a.asname or a.name.split(".")[0] for a in node.names
                      if in_kiosk(a.name)}
            bound |= {a.asname for a in node.names if in_kiosk(a.name) and a.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in bound:
                found.add(f"{ast.unparse(node.value)}.{node.attr}")
    return found


def core_violations(rel: str, source: str) -> set[str]:
    found: set[str] = set()
    for _, module, name in imports(rel, ast.parse(source, rel)):
        for target in targets(module, name):
            to_drivers = target == "drivers" or target.startswith("drivers.")
            to_config = target.startswith(CONFIG_FAMILY) and target not in CORE_MAY_IMPORT_CONFIG
            if to_drivers or to_config or target == "kiosk.messages":
                found.add(target)
    return found


def checked(paths: list[Path], rule: Callable[[str, str], set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        bad = {v for v in rule(rel, path.read_text()) if (rel, v) not in KNOWN_EXCEPTIONS}
        if bad:
            out[rel] = bad
    return out


def test_drivers_use_only_public_names_of_kiosk() -> None:
    paths = modules("drivers")
    assert len(paths) > 10  # the walk really found the drivers
    assert checked(paths, driver_violations) == {}


def test_the_core_imports_no_drivers_no_messages_and_only_the_config_model() -> None:
    paths = modules("kiosk/core")
    assert len(paths) >= 5
    assert checked(paths, core_violations) == {}


def test_the_configuration_modules_the_core_may_import_exist() -> None:
    # a renamed model module would otherwise leave the rule allowing a module nobody has
    assert any(is_module(m) for m in CORE_MAY_IMPORT_CONFIG)


def test_the_catalogue_imports_only_the_standard_library() -> None:
    # every client command and driver loads it: it must stay light and free of cycles
    rel = "kiosk/messages.py"
    tree = ast.parse((ROOT / rel).read_text(), rel)
    roots = {module.split(".")[0] for _, module, _ in imports(rel, tree)}
    assert roots <= set(sys.stdlib_module_names), roots - set(sys.stdlib_module_names)


# --- the rules themselves catch what they should -----------------------------------------


@pytest.mark.parametrize(("source", "found"), [
    ("from kiosk.config import _Section\n", {"kiosk.config._Section"}),
    ("from kiosk.config import STATE_DIR, _parse_intervals\n", {"kiosk.config._parse_intervals"}),
    ("from kiosk import config\nx = config._Section\n", {"config._Section"}),
    ("import kiosk.config\nx = kiosk.config._Section\n", {"kiosk.config._Section"}),
    ("import kiosk.config as cfg\nx = cfg._parse_intervals\n", {"cfg._parse_intervals"}),
    ("def f():\n    from kiosk.control import _once\n", {"kiosk.control._once"}),
    ("from kiosk.ports import DriverContext\nfrom serial import _x\n", set()),
    ("from kiosk.config import Config\nx = Config.__name__\n", set()),
    ("from . import _helpers\nfrom ._wire import x\n", set()),  # its own package: fine
])
def test_the_driver_rule(source: str, found: set[str]) -> None:
    assert driver_violations("drivers/printer/probe.py", source) == found


@pytest.mark.parametrize(("source", "found"), [
    ("from kiosk import messages\n", {"kiosk.messages"}),
    ("from kiosk.messages import text\n", {"kiosk.messages"}),
    ("import drivers.printer\n", {"drivers.printer"}),
    ("from drivers.buttons.guard import PressGuard\n", {"drivers.buttons.guard"}),
    ("from kiosk.config_paths import check_path\n", {"kiosk.config_paths"}),
    ("from kiosk.config import Config\n", {"kiosk.config"}),  # the loader, not the model
    ("from kiosk import config_defaults\n", {"kiosk.config_defaults"}),
    ("if True:\n    from kiosk.settings.printer import X\n", {"kiosk.settings.printer"}),
    ("from kiosk.config_model import Hours\nfrom kiosk.events import Event\n", set()),
    ("from . import queue\nfrom .state import State\n", set()),
    ("from .. import messages\nfrom ..config_paths import check_path\n",
     {"kiosk.messages", "kiosk.config_paths"}),
])
def test_the_core_rule(source: str, found: set[str]) -> None:
    assert core_violations("kiosk/core/probe.py", source) == found
