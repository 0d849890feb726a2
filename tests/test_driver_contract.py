"""The public driver contract (kiosk/ports.py): build(DriverContext) -> DriverParts."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from kiosk import bootstrap
from kiosk.ports import DriverContext, DriverParts, Input, Subscriber
from tests.hw_fakes import Recorder
from tests.support import make_config

ROOT = Path(__file__).parent.parent


def test_every_driver_builds_explicit_parts_from_a_context(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, audio={"clips": str(tmp_path / "clips"),
                                       "sink": f"wav://{tmp_path / 'spoken'}",
                                       "generate_missing": False})
    kinds: dict[str, tuple[int, int]] = {}
    for section, module in bootstrap.DRIVERS.items():
        mod = importlib.import_module(module)
        first = next(iter(inspect.signature(mod.build).parameters.values()))
        assert first.annotation in ("DriverContext", DriverContext), module
        parts = mod.build(bootstrap.driver_context(cfg, Recorder(), section))
        assert isinstance(parts, DriverParts), module
        assert all(isinstance(s, Subscriber) for s in parts.subscribers), module
        assert all(isinstance(i, Input) for i in parts.inputs), module
        kinds[section] = (len(parts.subscribers), len(parts.inputs))
        for part in [*parts.subscribers, *parts.inputs]:
            part.close()
    # what the demo branch has: a printer, one simulated hall display, a voice, a board
    assert kinds == {"printer": (1, 0), "displays": (1, 0), "audio": (1, 0),
                     "buttons": (0, 1), "mqtt": (0, 0)}  # no mqtt.url: MQTT off


def test_the_context_carries_the_public_view_only(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, printer={"url": "dummy://"})
    ctx = bootstrap.driver_context(cfg, Recorder(), "printer")
    assert ctx.settings is cfg.printer and ctx.settings.url == "dummy://"  # checked model
    assert ctx.tz is cfg.branch.tz and ctx.state_dir == tmp_path
    assert set(ctx.counters) == set(cfg.counters) and set(ctx.services) == set(cfg.services)
    assert not hasattr(ctx, "storage_path") and not hasattr(ctx, "drivers")


def test_bootstrap_wires_what_build_returns(tmp_path: Path) -> None:
    kiosk = bootstrap.build(make_config(tmp_path, printer={"url": "dummy://"}))
    try:
        assert len(kiosk.closers) == 1  # the button board, closed at shutdown
        names = {o.sub.name for o in kiosk.service._outlets}
        assert {"printer", "display:hall", "voice"} <= names
    finally:
        kiosk.stop()


def test_no_driver_takes_the_whole_config() -> None:
    for path in sorted((ROOT / "drivers").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "kiosk.config":
                names = {a.name for a in node.names}
                assert "Config" not in names, f"{path} imports kiosk.config.Config"
