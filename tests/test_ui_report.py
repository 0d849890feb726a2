"""Service-quality figures on the kiosk's screens, in real Kivy windows under Xvfb with a
real ``kiosk run --headless`` behind them (scenarios: tests/ui_report_scenarios.py):
the staff panel's 今日统计 / Today tab, and the hall board's public summary (公示).
Screenshots go to artifacts/ui/."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kiosk import config as config_mod
from kiosk.report import periods, summary
from kiosk.staffpin import hash_pin
from tests.kiosk_proc import KioskProcess
from tests.ui_harness import ARTIFACTS, STAFF_PIN, UiRun, core_config
from tests.ui_report_scenarios import STAFF_PIN as SCENARIO_PIN


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
        # the panel on a tall customer screen (F1): the same figures, for looking at
        tall = run(display, "staff_today", core, "1080x1920", "staff")
    finally:
        core.ensure_stopped()
    assert shown(tall, "today-table") == shown(out, "today-table")
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
    for size in ("800x480", "1080x1920"):
        assert (ARTIFACTS / f"staff-today-{size}.png").exists()


# --- the hall board's public summary (公示) ------------------------------------------


def test_hall_public_summary_is_off_by_default_and_checked(tmp_path: Path) -> None:
    from tests.test_config_validation import check, refused

    assert check(tmp_path, "").ui.hall_public_summary is False
    assert check(tmp_path, "[ui]\nhall_public_summary = true\n").ui.hall_public_summary
    refused(tmp_path, '[ui]\nhall_public_summary = "yes"\n', "ui.hall_public_summary",
            "true or false")
    refused(tmp_path, "[ui]\nhall_public_summary = 1\n", "ui.hall_public_summary")
    refused(tmp_path, "[ui]\nhall_public_summery = true\n", "ui.hall_public_summery",
            "not a known setting")


def test_hall_public_words_before_any_rating_or_call() -> None:
    from ui.hall_public import words

    cfg = config_mod.from_dict(config_mod.DEFAULTS)
    empty = summary([], cfg, periods.day(date(2026, 11, 23)))
    w = words(empty)
    assert w.zh == "今日服务公示：暂无客户评价　今日尚未叫号"
    assert w.en.startswith("Today's service: No ratings yet")


def test_hall_board_shows_todays_satisfaction_and_wait(display: str, tmp_path: Path) -> None:
    core = start_core(tmp_path, "hall_public_summary = true\n")

    def more_work() -> None:  # one more customer served and rated poor
        assert core.ask("issue", service="A")["ok"]
        for cmd, args in [("call-next", {}), ("finish", {}), ("rate", {"score": "poor"})]:
            assert core.ask(cmd, counter=1, **args)["ok"], cmd

    outs = []
    try:
        a_morning(core)
        want = expected(core)["totals"]["wait"]["mean_min"]
        for size in ("1920x1080", "1080x1920"):
            outs.append(run(display, "hall_public", core, size, "hall",
                            {"more-work": more_work}))
    finally:
        core.ensure_stopped()
    zh, en = shown(outs[0], "hall-public")
    assert zh == f"今日服务公示：客户满意率 50%（2 次评价）　平均等候 {want:.1f} 分钟"
    assert en.startswith("Today's service: 50% satisfied (2 ratings)")
    # after one more customer rated poor: 1 good of 3, then (portrait run) 1 of 4
    head = "今日服务公示：客户满意率 "
    assert shown(outs[0], "hall-public-after")[0].startswith(head + "33%（3 次评价）")
    assert shown(outs[1], "hall-public")[0].startswith(head + "33%（3 次评价）")
    assert shown(outs[1], "hall-public-after")[0].startswith(head + "25%（4 次评价）")
    for size in ("1920x1080", "1080x1920"):
        assert (ARTIFACTS / f"hall-public-{size}.png").exists()
