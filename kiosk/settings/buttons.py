"""The ``[buttons]`` table: counter buttons and the 3-key evaluator, on gpiozero.

Timing keys set at the top of the table are the default of every counter's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

from msgspec import Meta, field

from kiosk.config_model import Section, rule, set_field
from kiosk.errors import ConfigError

ACTIONS = ("call_next", "recall", "pause", "resume")
SCORES = ("good", "fair", "poor")  # 满意 / 一般 / 不满意
# 17, "GPIO17", "BOARD11": whatever gpiozero accepts
Pin = Annotated[int, rule("{value!r} is not a GPIO number", 'BCM numbering, e.g. 17, or a '
                          'name such as "GPIO17" or "BOARD11"', ge=0, le=53)] \
    | Annotated[str, rule("must not be empty", pattern=r"\S")]
BounceTime = Annotated[float, Meta(ge=0, le=1)]  # 0: none
HoldTime = Annotated[float, Meta(ge=0.2, le=10)]
MinInterval = Annotated[float, Meta(ge=0, le=30)]


def pin_factories() -> list[str]:
    """The names gpiozero registers for its pin factories ("lgpio", "mock", ...).

    Registered by the installed gpiozero whether or not the factory's own library (lgpio,
    RPi.GPIO) is present, so a name checks the same on a laptop and on the Pi.
    """
    from importlib.metadata import entry_points  # 15 ms to import: only when a name is set

    return sorted(ep.name for ep in entry_points(group="gpiozero_pin_factories"))


@dataclass(frozen=True, slots=True)
class Timing:
    pull_up: bool = True  # button between the pin and GND, Pi's internal pull-up
    bounce_time: float | None = 0.05  # seconds, handed to the pin driver
    hold_time: float = 2.0  # how long the pause button is held to pause/resume
    min_interval: float = 1.0  # software guard per counter+action, above the pin


class Evaluator(Section, frozen=True):
    good: Pin
    fair: Pin
    poor: Pin


class CounterButtons(Section, frozen=True, dict=True):
    """One ``[[buttons.counters]]`` table; a timing key left out (None) is the table's."""

    counter: Annotated[int, Meta(ge=1, le=999)]
    call_next: Pin | None = None
    recall: Pin | None = None
    pause: Pin | None = None  # held to pause/resume (pause_hold), or pressed to pause
    resume: Pin | None = None
    evaluator_pins: Evaluator | None = field(default=None, name="evaluator")
    pause_hold: bool | None = None  # None: hold to pause when there is no resume button
    pull_up: bool | None = None
    bounce_time: BounceTime | None = None
    hold_time: HoldTime | None = None
    min_interval: MinInterval | None = None

    @cached_property
    def pins(self) -> dict[str, int | str]:
        """Action -> pin, for the actions this counter has."""
        return {a: pin for a in ACTIONS if (pin := getattr(self, a)) is not None}

    @cached_property
    def evaluator(self) -> dict[str, int | str]:
        """Score -> pin; empty if the counter has none."""
        ev = self.evaluator_pins
        return {} if ev is None else {s: getattr(ev, s) for s in SCORES}

    @cached_property
    def timing(self) -> Timing:
        t = Timing()
        bounce = t.bounce_time if self.bounce_time is None else self.bounce_time
        return Timing(
            pull_up=t.pull_up if self.pull_up is None else self.pull_up,
            bounce_time=float(bounce) if bounce else None,
            hold_time=float(t.hold_time if self.hold_time is None else self.hold_time),
            min_interval=float(t.min_interval if self.min_interval is None
                               else self.min_interval))


class ButtonsSpec(Section, frozen=True):
    pin_factory: str | None = None  # None: gpiozero's choice (GPIOZERO_PIN_FACTORY)
    pull_up: bool = True
    bounce_time: BounceTime = 0.05
    hold_time: HoldTime = 2.0
    min_interval: MinInterval = 1.0
    counters: tuple[CounterButtons, ...] = ()

    def __post_init__(self) -> None:
        factory = self.pin_factory
        if factory is not None and factory.lower() not in pin_factories():
            raise ConfigError("pin_factory", f"{factory!r} is not a gpiozero pin factory",
                              f'use one of {", ".join(pin_factories())} ("lgpio" on a Pi 5), '
                              "or leave it out for gpiozero's choice")
        used: dict[str, str] = {}
        for i, cb in enumerate(self.counters):
            at = f"counters[{i}]"
            if any(c.counter == cb.counter for c in self.counters[:i]):
                raise ConfigError(f"{at}.counter", f"counter {cb.counter} has buttons twice")
            for name in ("pull_up", "bounce_time", "hold_time", "min_interval"):
                if getattr(cb, name) is None:
                    set_field(cb, name, getattr(self, name))
            if cb.pause_hold is None:
                set_field(cb, "pause_hold", cb.resume is None)
            if not cb.pins and not cb.evaluator:
                raise ConfigError(at, "has no buttons", "add call_next = PIN (or others)")
            roles = [*cb.pins.items(), *((f"evaluator.{s}", p) for s, p in cb.evaluator.items())]
            for role, pin in roles:
                key = str(pin).upper().removeprefix("GPIO")
                if key in used:
                    raise ConfigError(f"{at}.{role}", f"pin {pin} is already used by "
                                      f"buttons.{used[key]}", "give every button its own pin")
                used[key] = f"{at}.{role}"
