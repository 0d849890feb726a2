"""The clerks' counter buttons and the customers' evaluator keys, on gpiozero.

Callbacks run on gpiozero's threads, so they only put a command on the kiosk's queue
(``submit``) and never wait for the answer. :meth:`ButtonBoard.press` is the one path
for every press, so the keyboard keys of the dev window can call it too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any

from gpiozero import Button
from gpiozero.pins import Factory

from drivers.buttons.guard import PressGuard
from drivers.buttons.spec import ButtonsSpec, CounterButtons
from kiosk import commands as c
from kiosk.core import Rejected
from kiosk.ports import Submit

log = logging.getLogger(__name__)
# what each counter button does (the evaluator's keys are "rate", with a score)
ACTIONS: dict[str, Callable[[int], c.Command]] = {
    "call_next": c.CallNext, "recall": c.Recall, "pause": c.Pause, "resume": c.Resume}


class ButtonBoard:
    """All buttons of a branch. ``close()`` releases the pins.

    >>> board = ButtonBoard(submit)           # no buttons: a board with nothing on it
    >>> board.press(3, "call_next")           # what a button or a dev-window key does

    ``clock`` is the monotonic clock the debounce reads (tests pass a fake one and advance
    it instead of sleeping); it is ignored when a ``guard`` is given, which has its own.
    """

    def __init__(self, submit: Submit, guard: PressGuard | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.submit = submit
        self.guard = guard or PressGuard(clock)
        self.buttons: dict[tuple[int, str], Button] = {}
        self.intervals: dict[int, float] = {}

    # --- wiring -----------------------------------------------------------------------

    def wire(self, cb: CounterButtons, pin_factory: Factory | None) -> None:
        t = cb.timing
        self.intervals[cb.counter] = t.min_interval

        def make(role: str, pin: Any) -> Button:
            btn = Button(pin, pull_up=t.pull_up, bounce_time=t.bounce_time,
                         hold_time=t.hold_time, pin_factory=pin_factory)
            self.buttons[(cb.counter, role)] = btn
            return btn

        for action, pin in cb.pins.items():
            hold = action == "pause" and cb.pause_hold
            btn = make(action, pin)
            handler = partial(self.press, cb.counter, action)
            if hold:
                btn.when_held = handler  # a long press: never paused by a brush
            else:
                btn.when_pressed = handler
        for score, pin in cb.evaluator.items():
            make(f"rate:{score}", pin).when_pressed = partial(self.press, cb.counter, "rate",
                                                               score)

    def close(self) -> None:
        for btn in self.buttons.values():
            try:
                btn.close()
            except Exception:
                log.exception("closing button %r failed", btn)
        self.buttons.clear()

    # --- presses ----------------------------------------------------------------------

    def press(self, counter: int, action: str, score: str | None = None) -> bool:
        """Turn a press into a command; False if the guard swallowed it as a bounce."""
        if not self.guard.take(counter, action, self.intervals.get(counter, 1.0)):
            log.debug("counter %s %s: press ignored (within the debounce interval)",
                      counter, action)
            return False
        if action == "rate":
            cmd: c.Command = c.Rate(counter, score or "")
        else:
            cmd = ACTIONS[action](counter)
        self._send(cmd, counter, action)
        return True

    def _send(self, cmd: c.Command, counter: int, action: str) -> None:
        try:
            fut = self.submit(cmd, f"button:{counter}")
        except Exception:
            log.exception("counter %s %s: submit failed", counter, action)
            self.guard.done(counter, action)
            return
        fut.add_done_callback(lambda f: self._answered(f, cmd, counter, action))

    def _answered(self, fut: Future[Any], cmd: c.Command, counter: int, action: str) -> None:
        try:
            reply = fut.result()
        except Exception as exc:
            log.error("counter %s %s failed: %s", counter, action, exc)
            reply = None
        # One button both pauses and resumes: a pause refused as "already paused" means
        # the clerk is back, so resume (still under the same in-flight guard).
        if isinstance(reply, Rejected) and isinstance(cmd, c.Pause) \
                and reply.code == "already_paused":
            self._send(c.Resume(counter), counter, action)
            return
        if isinstance(reply, Rejected):
            log.info("counter %s %s: %s", counter, action, reply.code)
        self.guard.done(counter, action)


def build_board(spec: ButtonsSpec, submit: Submit, pin_factory: Factory | None,
                clock: Callable[[], float] = time.monotonic) -> ButtonBoard:
    board = ButtonBoard(submit, clock=clock)
    try:
        for cb in spec.counters:
            board.wire(cb, pin_factory)
    except Exception:
        board.close()
        raise
    return board
