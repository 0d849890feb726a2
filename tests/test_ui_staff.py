"""The staff panel in a real Kivy window under Xvfb, touched key by key, with a real
``kiosk run --headless`` behind it (scenarios: tests/ui_harness.py). Screenshots go to
artifacts/ui/ (<scenario>-<size>.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.staffpin import hash_pin
from tests.kiosk_proc import KioskProcess
from tests.ui_harness import ARTIFACTS, STAFF_PIN, UiRun, core_config
from ui.pinlock import lock_path


@pytest.fixture
def core(tmp_path: Path) -> Iterator[KioskProcess]:
    extra = f'[ui]\nstaff_pin_hash = "{hash_pin(STAFF_PIN, n=2**10)}"\n'
    k = KioskProcess(core_config(tmp_path, extra=extra)).start()
    try:
        yield k
    finally:
        k.ensure_stopped()


def run(display: str, scenario: str, core: KioskProcess, size: str = "800x480",
        mode: str = "staff") -> str:
    ui = UiRun(display, scenario, ARTIFACTS, core.config, size, mode)
    code, out = ui.wait()
    assert code == 0, out[-5000:]
    return out


def test_wrong_pins_lock_the_panel_and_the_lock_survives_a_ui_restart(
        display: str, core: KioskProcess) -> None:
    out = run(display, "pin_lockout", core)
    assert "attempt 4: The PIN is not correct; please try again (1 tries left)" in out
    assert "attempt 5: Too many wrong PINs" in out
    lock_file = lock_path(core.config.parent / "kiosk.db")
    assert lock_file.exists()
    out = run(display, "pin_still_locked", core)  # a new UI process, the same lock file
    assert "still locked" in out
    assert (ARTIFACTS / "staff-pin-locked-after-restart-800x480.png").exists()


def test_pausing_a_counter_from_the_panel_shows_on_the_hall_board(
        display: str, core: KioskProcess) -> None:
    core.ask("open", counter=1)
    core.ask("open", counter=2)
    run(display, "staff_pause", core)
    counter = next(c for c in core.ask("status")["status"]["counters"] if c["id"] == 2)
    assert (counter["status"], counter["redirect"], counter["reason"]) == ("paused", 1, "break")
    for size in ("1920x1080", "1080x1920"):  # a second UI process, in hall mode
        out = run(display, "hall_paused", core, size, "hall")
        assert "hall shows 暂停服务 → 请到1号窗口" in out
        assert (ARTIFACTS / f"hall-paused-{size}.png").exists()


def test_every_tab_and_a_confirmation_that_can_be_cancelled(display: str,
                                                           core: KioskProcess) -> None:
    for cid in (1, 2, 3):
        core.ask("open", counter=cid)
    core.ask("issue", service="A")
    core.ask("issue", service="A")
    core.ask("call-next", counter=1)
    core.ask("no-show", counter=1)
    run(display, "staff_screens", core)
    counter = next(c for c in core.ask("status")["status"]["counters"] if c["id"] == 1)
    assert counter["status"] == "open"  # cancelled: nothing was closed
    for tab in ("queue", "devices", "priority", "confirm-close"):
        assert (ARTIFACTS / f"staff-{tab}-800x480.png").exists()


def test_reinstate_priority_reprint_and_transfer_by_touch(display: str, core: KioskProcess) -> None:
    for cid in (1, 3):
        core.ask("open", counter=cid)
    core.ask("issue", service="A")
    core.ask("issue", service="A")
    core.ask("call-next", counter=1)
    core.ask("no-show", counter=1)  # A001 missed
    core.ask("call-next", counter=1)  # A002 at counter 1
    out = run(display, "staff_actions", core)
    assert "reinstated A001: Done, thank you" in out
    assert "priority: Priority ticket B001 issued (Elderly customer)" in out
    assert "reprint: Ticket B001 reprinted; please take it" in out
    status = core.ask("status")["status"]
    a = next(s for s in status["services"] if s["prefix"] == "A")
    assert a["next_tickets"][0] == "A001"  # back at the head of the queue
    events = core.ask("events")["data"]
    issued = [e for e in events if e["type"] == "issued" and e["ticket"] == "B001"]
    assert issued and issued[0]["data"]["priority"] == "elderly"
    assert any(e["type"] == "reprinted" for e in events)
    moved = [e for e in events if e["type"] == "transferred"]
    assert [(e["ticket"], e["data"]["to_service"]) for e in moved] == [("A002", "B")]


def test_without_a_pin_hash_the_panel_stays_locked_and_says_how(display: str,
                                                                tmp_path: Path) -> None:
    k = KioskProcess(core_config(tmp_path)).start()
    try:
        out = run(display, "pin_none", k)
    finally:
        k.ensure_stopped()
    assert "no PIN set" in out


def test_the_panel_locks_itself_when_left_alone(display: str, tmp_path: Path) -> None:
    extra = f'[ui]\nstaff_pin_hash = "{hash_pin(STAFF_PIN, n=2**10)}"\nidle_timeout_s = 5\n'
    k = KioskProcess(core_config(tmp_path, extra=extra)).start()
    try:
        out = run(display, "staff_idle", k)
    finally:
        k.ensure_stopped()
    assert "locked after idle" in out
