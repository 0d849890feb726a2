"""Service-quality figures on the kiosk's screens, in real Kivy windows under Xvfb with a
real ``kiosk run --headless`` behind them (scenarios: tests/ui_report_scenarios.py):
the staff panel's 今日统计 / Today tab, and the hall board's public summary (公示).
Screenshots go to artifacts/ui/."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk import config as config_mod
from kiosk.report import periods, summary
from kiosk.staffpin import hash_pin
from tests.kiosk_proc import KioskProcess
from tests.ui_harness import ARTIFACTS, STAFF_PIN, UiRun, Xvfb, core_config
from tests.ui_report_scenarios import STAFF_PIN as SCENARIO_PIN


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    x = Xvfb().start()
    try:
        yield x.display
    finally:
        x.stop()


def start_core(tmp: Path, extra: str = "") -> KioskProcess:
    pin = f'[ui]\nstaff_pin_hash = "{hash_pin(STAFF_PIN, n=2**10)}"\n'
    return KioskProcess(core_config(tmp, extra=pin + extra)).start()


def run(display: str, scenario: str, core: KioskProcess, size: str, mode: str,
        handlers: dict[str, Callable[[], None]] | None = None) -> str:
    ui = UiRun(display, scenario, ARTIFACTS, core.config, size, mode)
    code, out = ui.wait(handlers)
    assert code == 0, out[-5000:]
    return out


def shown(out: str, key: str) -> Any:
    line = next(x for x in out.splitlines() if x.startswith(key + " "))
    return json.loads(line[len(key) + 1:])


def a_morning(core: KioskProcess) -> None:
    """Four A and one B issued; counter 1 serves two (one rated good, one fair),
    counter 2 marks one no-show; one A still waits, B waits."""
    for cid in (1, 2, 3):
        core.ask("open", counter=cid)  # refused if already open: fine
    for service in ("A", "A", "A", "A", "B"):
        assert core.ask("issue", service=service)["ok"]
    for cmd, args in [("call-next", {}), ("finish", {}), ("rate", {"score": "good"}),
                      ("call-next", {"counter": 2}), ("no-show", {"counter": 2}),
                      ("call-next", {}), ("finish", {}), ("rate", {"score": "fair"})]:
        reply = core.ask(cmd, **{"counter": 1, **args})
        assert reply["ok"], (cmd, reply)


def expected(core: KioskProcess) -> dict[str, Any]:
    cfg = config_mod.load(core.config)
    status = core.ask("status")["status"]
    return summary(core.ask("events")["data"], cfg,
                   periods.day(date.fromisoformat(status["day"])),
                   datetime.now(cfg.branch.tz))


def test_staff_panel_today_tab_shows_todays_figures(display: str, tmp_path: Path) -> None:
    assert SCENARIO_PIN == STAFF_PIN
    core = start_core(tmp_path)
    try:
        a_morning(core)
        out = run(display, "staff_today", core, "800x480", "staff")
        want = expected(core)
    finally:
        core.ensure_stopped()
    table = shown(out, "today-table")
    # issued, served, no-show, wait mean, wait p90, good share: counted by hand
    assert table["total:合计"][:3] == ["5", "2", "1"]
    assert table["total:合计"][5] == "50%"  # one good of two ratings
    assert table["service:A 业务办理"][:3] == ["4", "2", "1"]
    assert table["service:B 理赔"][:3] == ["1", "0", "0"]
    assert table["counter:1号窗口"][:3] == ["—", "2", "0"]
    assert table["counter:2号窗口"][:3] == ["—", "0", "1"]
    assert table["service:B 理赔"][3:5] == ["—", "—"]  # nobody called: no wait yet
    # the waits as the report computes them from the same events (seconds here)
    w = want["totals"]["wait"]
    assert table["total:合计"][3:5] == [f"{w['mean_min']:.1f}", f"{w['p90_min']:.1f}"]
    lines = shown(out, "today-lines")
    assert lines[0].startswith("今日统计 " + want["period"]["first"])
    assert "满意 50%，一般 50%，不满意 0%" in lines[1] and "评价率 100%" in lines[1]
    assert (ARTIFACTS / "staff-today-800x480.png").exists()
