"""Buttons through the real KioskService and Store: rapid double presses call one
customer, hold-to-pause toggles the counter, the evaluator rates the ticket just
finished only once, and a press reaches the display's wire and the voice."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpiozero.pins.mock import MockFactory

import drivers.audio as audio
import drivers.buttons as buttons
from drivers.buttons import ButtonBoard
from drivers.display import build_one, parse
from kiosk import commands as c
from kiosk.clock import FakeClock
from kiosk.config import Config
from kiosk.service import KioskService
from tests.buttons_fakes import FakeMonotonic
from tests.hw_fakes import Pty, Recorder, mock_factory
from tests.support import driver_parts, make_config, wait_for

__all__ = ["mock_factory"]

BUTTONS = {"min_interval": 0.3, "hold_time": 0.2, "counters": [
    {"counter": 1, "call_next": 17, "recall": 27, "pause": 22,
     "evaluator": {"good": 5, "fair": 6, "poor": 13}},
    {"counter": 2, "call_next": 18, "evaluator": {"good": 19, "fair": 20, "poor": 21}},
]}


def settle(svc: KioskService) -> None:
    """Wait until every command queued so far has been handled (the queue is FIFO)."""
    svc.submit(c.GetStatus(), "test").result(5)


def press(pin: Any, bounces: int = 3) -> None:
    for _ in range(bounces):
        pin.drive_low()
        pin.drive_high()


def rated(svc: KioskService) -> list[tuple[str | None, Any]]:
    events = svc.submit(c.GetEvents(), "test").result(5).data
    return [(e.ticket, e.data["score"]) for e in events if e.type == "rated"]


def issue(svc: KioskService, *services: str) -> None:
    for s in services:
        svc.submit(c.Issue(s), "test").result(5)


def test_rapid_double_press_calls_one_customer(
        service_factory: Callable[..., KioskService], mock_factory: MockFactory) -> None:
    svc = service_factory()
    board, mono = _board(svc, mock_factory)
    try:
        issue(svc, "A", "A", "A")
        pin = mock_factory.pin(17)
        press(pin)
        press(pin)  # the clerk's double tap, within the debounce window
        settle(svc)
        assert svc.status.counter(1).current == "A001"
        assert svc.status.service("A").next_tickets == ("A002", "A003")
        mono.advance(0.35)
        press(pin)  # a deliberate next call
        assert wait_for(lambda: svc.status.counter(1).current == "A002")
        settle(svc)
        assert svc.status.service("A").next_tickets == ("A003",)
    finally:
        board.close()


def test_hold_to_pause_then_hold_to_resume(
        service_factory: Callable[..., KioskService], mock_factory: MockFactory) -> None:
    svc = service_factory()
    board, mono = _board(svc, mock_factory)
    try:
        pin = mock_factory.pin(22)
        pin.drive_low()
        time.sleep(0.05)  # gpiozero's own hold timer runs on real time
        pin.drive_high()
        time.sleep(0.3)
        settle(svc)
        assert svc.status.counter(1).status == "open"  # a short press does not pause
        pin.drive_low()
        assert wait_for(lambda: svc.status.counter(1).status == "paused", 3)
        pin.drive_high()
        settle(svc)  # the pause has been answered, so the guard no longer holds it in flight
        mono.advance(0.35)
        pin.drive_low()  # the same button, held again: the clerk is back
        assert wait_for(lambda: svc.status.counter(1).status == "open", 3)
        pin.drive_high()
    finally:
        board.close()


def test_evaluator_rates_the_ticket_just_finished_once(
        service_factory: Callable[..., KioskService], mock_factory: MockFactory,
        clock: FakeClock) -> None:
    svc = service_factory()
    board, mono = _board(svc, mock_factory)
    try:
        press(mock_factory.pin(5))  # nothing finished yet at counter 1: ignored
        issue(svc, "A", "A")
        press(mock_factory.pin(17))  # calls A001
        settle(svc)
        mono.advance(0.35)
        press(mock_factory.pin(17))  # A001 finished, A002 called
        settle(svc)
        assert svc.status.counter(1).current == "A002"
        mono.advance(0.35)
        press(mock_factory.pin(13))  # 不满意 for A001
        settle(svc)
        mono.advance(0.35)
        press(mock_factory.pin(5))  # a second rating for the same ticket does not count
        press(mock_factory.pin(19))  # counter 2 has finished nobody
        settle(svc)
        assert rated(svc) == [("A001", "poor")]
        svc.submit(c.Finish(1), "test").result(5)  # A002 done...
        clock.advance(seconds=svc.config.rules.rating_window_s + 1)  # ...long ago
        mono.advance(0.35)
        press(mock_factory.pin(6))
        settle(svc)
        assert rated(svc) == [("A001", "poor")]
    finally:
        board.close()


def test_a_press_reaches_the_display_wire_and_the_voice(
        service_factory: Callable[..., KioskService], mock_factory: MockFactory,
        tmp_path: Path) -> None:
    pty = Pty()
    display = build_one(parse([{"url": pty.name, "protocol": "cd5220", "counters": [1],
                                "flash": 0}])[0], Recorder())
    assert display.wait_ready()
    spoken = tmp_path / "spoken"
    voice = driver_parts(audio, _cfg(audio={"clips": str(tmp_path / "clips"),
                                            "sink": f"wav://{spoken}"}),
                         Recorder(), "audio").subscribers[0]
    svc = service_factory([display, voice])
    board = build_buttons(_cfg(), svc.submit, mock_factory)
    try:
        pty.read_quiet(0.2)  # the idle screen
        issue(svc, "A")
        press(mock_factory.pin(17))
        want = b"\x1bQA" + b"A001 to counter 1".ljust(20) + b"\r\x1bQB" + b" " * 20 + b"\r"
        assert pty.read(len(want)) == want
        assert wait_for(lambda: (spoken / "000001-A001-c1.wav").exists(), 10)
    finally:
        board.close()
        pty.unplug()


def _board(svc: KioskService, factory: MockFactory) -> tuple[ButtonBoard, FakeMonotonic]:
    """The buttons of :data:`BUTTONS`, debounced on a clock the test advances."""
    board = build_buttons(_cfg(), svc.submit, factory)
    mono = FakeMonotonic()
    board.guard.clock = mono
    return board, mono


def build_buttons(cfg: Config, submit: Any, factory: MockFactory) -> ButtonBoard:
    parts = driver_parts(buttons, cfg, submit, "buttons", pin_factory=factory)
    made = parts.inputs[0]
    assert isinstance(made, ButtonBoard)
    return made


def _cfg(**extra: Any) -> Config:
    return make_config(buttons=BUTTONS, **extra)
