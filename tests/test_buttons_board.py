"""Counter buttons on gpiozero's MockFactory: chatter (bounce), hold-to-pause, one button
for pause and resume, the evaluator, the pin factory choice, and config errors.

MockFactory does not emulate ``bounce_time``, which is the point: chatter reaches our
callbacks here just as a worn switch's would, and the guard above the pin must hold."""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

import drivers.buttons as buttons
from drivers.buttons import ButtonBoard, PressGuard, validate
from kiosk import commands as c
from kiosk.commands import ReportDevice
from kiosk.config import Config
from kiosk.core import Rejected
from kiosk.errors import ConfigError
from tests.buttons_fakes import FakeMonotonic
from tests.hw_fakes import Recorder, mock_factory
from tests.support import driver_parts, make_config, wait_for

__all__ = ["mock_factory"]  # the fixture, imported for pytest


def build(cfg: Config, submit: Any, pin_factory: MockFactory | None = None) -> ButtonBoard:
    parts = driver_parts(buttons, cfg, submit, "buttons", pin_factory=pin_factory)
    made = parts.inputs[0]
    assert isinstance(made, ButtonBoard)
    return made


def board_for(rec: Any, factory: MockFactory | None, clock: FakeMonotonic | None = None,
              **counter: Any) -> ButtonBoard:
    section = {"min_interval": 0.3, "hold_time": 0.2,
               "counters": [{"counter": 1, **counter}]}
    board = build(make_config(buttons=section), rec, pin_factory=factory)
    if clock is not None:  # the debounce reads this clock; the test advances it
        board.guard.clock = clock
    return board


def chatter(pin: Any, bounces: int = 4) -> None:
    """One press of a worn switch: several closed/open edges within a millisecond."""
    for _ in range(bounces):
        pin.drive_low()
        pin.drive_high()


def test_chatter_within_the_interval_calls_once(mock_factory: MockFactory) -> None:
    rec, clock = Recorder(), FakeMonotonic()
    board = board_for(rec, mock_factory, clock, call_next=17, recall=27)
    try:
        chatter(mock_factory.pin(17))
        assert rec.of(c.CallNext) == [c.CallNext(1)]
        chatter(mock_factory.pin(27))  # another action has its own guard
        assert rec.of(c.Recall) == [c.Recall(1)]
        clock.advance(0.29)
        chatter(mock_factory.pin(17))  # still within min_interval (0.3 s)
        assert rec.of(c.CallNext) == [c.CallNext(1)]
        clock.advance(0.02)
        chatter(mock_factory.pin(17))  # a deliberate second press, later on
        assert rec.of(c.CallNext) == [c.CallNext(1), c.CallNext(1)]
        assert all(src == "button:1" for _, src in rec.commands)
    finally:
        board.close()


def test_no_second_call_while_the_first_is_unanswered(mock_factory: MockFactory) -> None:
    pending: list[Future[Any]] = []

    def submit(cmd: c.Command, source: str) -> Future[Any]:
        pending.append(Future())
        return pending[-1]

    clock = FakeMonotonic()
    board = board_for(submit, mock_factory, clock, call_next=17)
    try:
        pin = mock_factory.pin(17)
        chatter(pin)
        clock.advance(0.35)
        chatter(pin)  # past the interval, but the worker has not answered yet
        assert len(pending) == 1
        pending[0].set_result(None)
        chatter(pin)
        assert len(pending) == 2
    finally:
        board.close()


def test_guard_reads_the_clock_it_is_given() -> None:
    clock = FakeMonotonic()
    guard = PressGuard(clock)
    assert guard.take(1, "call_next", 0.3)
    guard.done(1, "call_next")
    clock.advance(0.299)
    assert not guard.take(1, "call_next", 0.3)  # a bounce, however long the test machine took
    clock.advance(0.002)
    assert guard.take(1, "call_next", 0.3)


def test_board_passes_its_clock_to_the_guard() -> None:
    clock = FakeMonotonic()
    rec = Recorder()
    board = ButtonBoard(rec, clock=clock)
    assert board.press(2, "recall") and not board.press(2, "recall")
    clock.advance(1.0)  # the default interval when the counter has no buttons section
    assert board.press(2, "recall")
    assert rec.of(c.Recall) == [c.Recall(2), c.Recall(2)]


def test_pull_down_wiring_presses_on_high(mock_factory: MockFactory) -> None:
    rec = Recorder()
    board = board_for(rec, mock_factory, call_next=17, pull_up=False)
    try:
        pin = mock_factory.pin(17)
        pin.drive_low()
        assert rec.commands == []
        pin.drive_high()
        assert rec.of(c.CallNext) == [c.CallNext(1)]
    finally:
        board.close()


def test_hold_to_pause_and_hold_again_to_resume(mock_factory: MockFactory) -> None:
    paused = False

    def reply(cmd: c.Command) -> Any:  # plays the core: a second pause is "already paused"
        nonlocal paused
        if isinstance(cmd, c.Pause):
            if paused:
                return Rejected("already_paused", {"counter": 1})
            paused = True
        if isinstance(cmd, c.Resume):
            paused = False
        return None

    rec, clock = Recorder(reply), FakeMonotonic()
    board = board_for(rec, mock_factory, clock, pause=22)
    try:
        pin = mock_factory.pin(22)
        pin.drive_low()
        time.sleep(0.08)  # a brush against the button: shorter than hold_time
        pin.drive_high()
        time.sleep(0.3)
        assert rec.commands == []
        pin.drive_low()
        assert wait_for(lambda: rec.of(c.Pause) == [c.Pause(1)], 2)
        time.sleep(0.3)  # still held: held fires once, not again
        pin.drive_high()
        assert rec.of(c.Pause) == [c.Pause(1)] and paused
        clock.advance(0.35)
        pin.drive_low()
        assert wait_for(lambda: rec.of(c.Resume) == [c.Resume(1)], 2)
        pin.drive_high()
        assert not paused
    finally:
        board.close()


def test_separate_resume_button_acts_on_press(mock_factory: MockFactory) -> None:
    rec = Recorder()
    board = board_for(rec, mock_factory, pause=22, resume=23)
    try:
        mock_factory.pin(22).drive_low()
        mock_factory.pin(23).drive_low()
        assert rec.of(c.Pause) == [c.Pause(1)]
        assert rec.of(c.Resume) == [c.Resume(1)]
    finally:
        board.close()


def test_evaluator_rates_and_takes_one_press_at_a_time(mock_factory: MockFactory) -> None:
    rec, clock = Recorder(), FakeMonotonic()
    board = board_for(rec, mock_factory, clock, evaluator={"good": 5, "fair": 6, "poor": 13})
    try:
        chatter(mock_factory.pin(5))
        chatter(mock_factory.pin(13))  # a second key straight after: one customer, one rating
        assert rec.of(c.Rate) == [c.Rate(1, "good")]
        clock.advance(0.35)
        chatter(mock_factory.pin(6))
        assert rec.of(c.Rate) == [c.Rate(1, "good"), c.Rate(1, "fair")]
    finally:
        board.close()


def test_no_section_means_no_buttons_and_no_gpio(mock_factory: MockFactory) -> None:
    rec = Recorder()
    board = build(make_config(), rec)
    assert board.buttons == {} and rec.commands == []
    assert board.press(2, "call_next")  # the dev window's keys still work
    assert rec.of(c.CallNext) == [c.CallNext(2)]
    assert not hasattr(board, "handle")  # bootstrap treats it as an input device
    board.close()


def test_gpiozero_pin_factory_env_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    saved = Device.pin_factory
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    Device.pin_factory = None  # let gpiozero pick, as on the Pi (lgpio there)
    try:
        rec = Recorder()
        board = board_for(rec, None, call_next=17)
        assert isinstance(Device.pin_factory, MockFactory)
        Device.pin_factory.pin(17).drive_low()
        assert rec.of(c.CallNext) == [c.CallNext(1)]
        board.close()
    finally:
        if Device.pin_factory is not None:
            Device.pin_factory.reset()
        Device.pin_factory = saved


def test_unavailable_gpio_is_reported_and_the_kiosk_goes_on() -> None:
    rec = Recorder()
    cfg = make_config(buttons={"pin_factory": "lgpio", "counters": [
        {"counter": 1, "call_next": 17}]})
    board = build(cfg, rec)  # lgpio cannot open a GPIO chip on this machine
    assert board.buttons == {}
    reports = rec.of(ReportDevice)
    assert [(r.device, r.status) for r in reports] == [("buttons", "absent")]


@pytest.mark.parametrize(("raw", "key"), [
    ({"counters": [{"counter": 1, "call_next": 17, "recall": 17}]},
     "buttons.counters[0].recall"),
    ({"counters": [{"counter": 1, "call_next": 17}, {"counter": 2, "recall": "GPIO17"}]},
     "buttons.counters[1].recall"),
    ({"counters": [{"counter": 1, "call_next": 99}]}, "buttons.counters[0].call_next"),
    ({"counters": [{"counter": 1, "evaluator": {"good": 5, "fair": 6}}]},
     "buttons.counters[0].evaluator.poor"),
    ({"counters": [{"counter": 1}]}, "buttons.counters[0]"),
    ({"counters": [{"counter": 1, "call_nxt": 4}]}, "buttons.counters[0].call_nxt"),
    ({"bounce_time": 5}, "buttons.bounce_time"),
    ({"hold_time": "2"}, "buttons.hold_time"),
])
def test_config_errors_name_the_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate(raw)
    assert err.value.key == key


def test_unknown_counter_is_refused_at_build(mock_factory: MockFactory) -> None:
    with pytest.raises(ConfigError) as err:
        build(make_config(buttons={"counters": [{"counter": 9, "call_next": 4}]}), Recorder(),
              pin_factory=mock_factory)
    assert err.value.key == "buttons.counters[0].counter"
