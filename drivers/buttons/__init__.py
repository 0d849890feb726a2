"""Counter buttons (call next, recall, pause/resume) and the 3-key evaluator, on gpiozero.

::

    [buttons]
    bounce_time = 0.05
    [[buttons.counters]]
    counter = 1
    call_next = 17
    recall = 27
    pause = 22            # hold 2 s to pause, hold again to resume
    evaluator = { good = 5, fair = 6, poor = 13 }   # 满意 / 一般 / 不满意

The pin factory is gpiozero's choice, so ``GPIOZERO_PIN_FACTORY=lgpio`` (the only one
that works on a Pi 5) is honoured; ``pin_factory`` in the section, or the argument to
:func:`build` (tests pass a ``MockFactory``), overrides it. See docs/counter-hardware.md.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Any

from gpiozero.pins import Factory

from drivers.buttons.board import ButtonBoard, build_board
from drivers.buttons.guard import PressGuard
from drivers.buttons.spec import ButtonsSpec, parse
from kiosk.commands import ReportDevice
from kiosk.errors import ConfigError
from kiosk.ports import DriverContext, DriverParts

__all__ = ["ButtonBoard", "ButtonsSpec", "PressGuard", "build", "validate"]
log = logging.getLogger(__name__)


def validate(raw: Any) -> None:
    """Check the ``buttons`` section; raises ConfigError naming the key, e.g.
    ``buttons.counters[0].recall``."""
    parse(raw)


def factory_by_name(name: str) -> Factory:
    """Load a gpiozero pin factory by its entry-point name ("lgpio", "mock", ...)."""
    for ep in entry_points(group="gpiozero_pin_factories"):
        if ep.name == name.lower():
            return ep.load()()
    raise ConfigError("buttons.pin_factory", f"{name!r} is not an installed gpiozero pin "
                      "factory", 'use "lgpio" on a Pi 5')


def build(ctx: DriverContext, pin_factory: Factory | None = None) -> DriverParts:
    """Wire every configured button; with no ``buttons`` section, a board with none.

    If the GPIO cannot be opened (a laptop, a missing lgpio), the kiosk keeps running
    without buttons and reports device ``buttons`` as absent.
    """
    return DriverParts(inputs=[_board(ctx, pin_factory)])


def _board(ctx: DriverContext, pin_factory: Factory | None) -> ButtonBoard:
    submit = ctx.submit
    if ctx.settings is None:
        return ButtonBoard(submit)
    spec: ButtonsSpec = ctx.settings
    try:
        if pin_factory is None and spec.pin_factory:
            pin_factory = factory_by_name(spec.pin_factory)
        return build_board(spec, submit, pin_factory)
    except ConfigError:
        raise
    except Exception as exc:
        log.error("buttons unavailable: %s", exc)
        try:
            submit(ReportDevice("buttons", "absent", f"{type(exc).__name__}: {exc}"[:200]),
                   "buttons")
        except Exception:
            log.exception("could not report the buttons as absent")
        board = ButtonBoard(submit)
        board.intervals = {cb.counter: cb.timing.min_interval for cb in spec.counters}
        return board
