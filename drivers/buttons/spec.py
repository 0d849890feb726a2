"""The ``[buttons]`` config section, parsed into :class:`ButtonsSpec`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from kiosk.config import _Section
from kiosk.errors import ConfigError

ACTIONS = ("call_next", "recall", "pause", "resume")
SCORES = ("good", "fair", "poor")  # 满意 / 一般 / 不满意
Pin = int | str  # 17, "GPIO17", "BOARD11": whatever gpiozero accepts


def _opt(sec: _Section, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
    sec.seen.add(name)
    return default if name not in sec.data else sec.get(name, kind)


@dataclass(frozen=True, slots=True)
class Timing:
    pull_up: bool = True  # button between the pin and GND, Pi's internal pull-up
    bounce_time: float | None = 0.05  # seconds, handed to the pin driver
    hold_time: float = 2.0  # how long the pause button is held to pause/resume
    min_interval: float = 1.0  # software guard per counter+action, above the pin


@dataclass(frozen=True, slots=True)
class CounterButtons:
    counter: int
    pins: dict[str, Pin]  # action -> pin, for the actions this counter has
    evaluator: dict[str, Pin]  # score -> pin; empty if the counter has none
    pause_hold: bool
    timing: Timing


@dataclass(frozen=True, slots=True)
class ButtonsSpec:
    pin_factory: str | None
    counters: tuple[CounterButtons, ...]


def _pin(sec: _Section, name: str) -> Pin:
    value = sec.get(name, (int, str))
    if isinstance(value, int) and not 0 <= value <= 53:
        raise ConfigError(sec.key(name), f"{value} is not a GPIO number", "BCM numbering, "
                          'e.g. 17, or a name such as "GPIO17" or "BOARD11"')
    if isinstance(value, str) and not value.strip():
        raise ConfigError(sec.key(name), "must not be empty")
    return value


def _timing(sec: _Section, base: Timing) -> Timing:
    def seconds(name: str, default: float | None, lo: float, hi: float) -> Any:
        value = _opt(sec, name, (int, float), default)
        if value is not None and not lo <= value <= hi:
            raise ConfigError(sec.key(name), f"must be between {lo} and {hi} s, got {value}")
        return None if value is None or (value == 0 and name == "bounce_time") else float(value)

    return Timing(
        pull_up=_opt(sec, "pull_up", bool, base.pull_up),
        bounce_time=seconds("bounce_time", base.bounce_time, 0, 1),
        hold_time=seconds("hold_time", base.hold_time, 0.2, 10),
        min_interval=seconds("min_interval", base.min_interval, 0, 30),
    )


def pin_factories() -> list[str]:
    """The names gpiozero registers for its pin factories ("lgpio", "mock", ...).

    Registered by the installed gpiozero whether or not the factory's own library (lgpio,
    RPi.GPIO) is present, so a name checks the same on a laptop and on the Pi.
    """
    return sorted(ep.name for ep in entry_points(group="gpiozero_pin_factories"))


def parse(raw: Any) -> ButtonsSpec:
    top = _Section(raw, "buttons")
    factory = _opt(top, "pin_factory", str, None)
    if factory is not None and factory.lower() not in pin_factories():
        raise ConfigError(top.key("pin_factory"), f"{factory!r} is not a gpiozero pin factory",
                          f'use one of {", ".join(pin_factories())} ("lgpio" on a Pi 5), or '
                          "leave it out for gpiozero's choice")
    base = _timing(top, Timing())
    items = _opt(top, "counters", list, [])
    out: list[CounterButtons] = []
    used: dict[str, str] = {}
    for i, item in enumerate(items):
        sec = _Section(item, f"buttons.counters[{i}]")
        counter = sec.integer("counter", 1, 999)
        if any(c.counter == counter for c in out):
            raise ConfigError(sec.key("counter"), f"counter {counter} has buttons twice")
        pins = {a: _pin(sec, a) for a in ACTIONS if a in sec.data}
        evaluator: dict[str, Pin] = {}
        if "evaluator" in sec.data:
            ev = _Section(sec.get("evaluator", dict), sec.key("evaluator"))
            evaluator = {s: _pin(ev, s) for s in SCORES}
            ev.finish()
        pause_hold = _opt(sec, "pause_hold", bool, "resume" not in pins)
        timing = _timing(sec, base)
        sec.finish()  # first: a misspelt key explains more than "has no buttons"
        if not pins and not evaluator:
            raise ConfigError(sec.path, "has no buttons", "add call_next = PIN (or others)")
        for role, pin in [*pins.items(), *(("evaluator." + s, p) for s, p in evaluator.items())]:
            key = str(pin).upper().removeprefix("GPIO")
            if key in used:
                raise ConfigError(f"{sec.path}.{role}", f"pin {pin} is already used by "
                                  f"{used[key]}", "give every button its own pin")
            used[key] = f"{sec.path}.{role}"
        out.append(CounterButtons(counter, pins, evaluator, pause_hold, timing))
    top.finish()
    return ButtonsSpec(factory, tuple(out))
