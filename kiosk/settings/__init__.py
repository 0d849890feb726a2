"""The model of the whole TOML file, :class:`ConfigFile`, and its hardware, MQTT and
screen sections. Drivers import their section's model from here; the core never does.

Checks that span sections (counters named by displays and buttons, services named by
counters) are in :meth:`ConfigFile.__post_init__`.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import field

from kiosk.config_model import (
    Branch,
    ClockTable,
    ControlTable,
    Counter,
    HoursTable,
    Rules,
    Section,
    Service,
    StorageTable,
    rule,
)
from kiosk.errors import ConfigError
from kiosk.settings.audio import AudioSpec
from kiosk.settings.buttons import ButtonsSpec, CounterButtons, Timing
from kiosk.settings.display import DisplaySpec, check_displays
from kiosk.settings.printer import Endpoint, PrinterSettings
from kiosk.settings.remote import MqttSettings, UiSettings
from kiosk.settings.report import ReportSettings

Displays = Annotated[tuple[DisplaySpec, ...], rule("must be a list of [[displays]] tables")]

__all__ = ["AudioSpec", "ButtonsSpec", "ConfigFile", "CounterButtons", "DisplaySpec",
           "Displays", "Endpoint", "MqttSettings", "PrinterSettings", "ReportSettings", "Timing",
           "UiSettings"]


class ConfigFile(Section, frozen=True):
    """Every table of the file; the loader overlays it on the built-in defaults first."""

    branch: Branch
    clock: ClockTable
    queue: Rules
    storage: StorageTable
    control: ControlTable
    hours: HoursTable
    services: Annotated[tuple[Service, ...], rule(
        "must be a non-empty list of [[services]] tables", min_length=1)]
    counters: Annotated[tuple[Counter, ...], rule(
        "must be a non-empty list of [[counters]] tables", min_length=1)]
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    # hardware: None (absent) runs the driver's stand-in
    printer: PrinterSettings | None = None
    displays: Displays | None = None
    buttons: ButtonsSpec | None = None
    audio: AudioSpec | None = None

    def __post_init__(self) -> None:
        prefixes: list[str] = []
        for i, s in enumerate(self.services):
            if s.prefix in prefixes:
                raise ConfigError(f"services[{i}].prefix", f"{s.prefix!r} is used by another "
                                  "service", "give each service its own letter")
            prefixes.append(s.prefix)
        ids: list[int] = []
        for i, c in enumerate(self.counters):
            if c.id in ids:
                raise ConfigError(f"counters[{i}].id", f"counter {c.id} is defined twice")
            ids.append(c.id)
            for j, ref in enumerate(c.services):
                if ref not in prefixes:
                    raise ConfigError(f"counters[{i}].services[{j}]", f"{ref!r} is not a "
                                      "configured service", f"use one of {', '.join(prefixes)}")
        for p in prefixes:
            if not any(p in c.services for c in self.counters):
                raise ConfigError("counters", f"no counter serves service {p!r}",
                                  f"add {p!r} to some counter's services")
        for i, d in enumerate(check_displays(self.displays or ())):
            for j, cid in enumerate(d.counters or ()):
                self._counter_exists(f"displays[{i}].counters[{j}]", cid, ids)
        for i, cb in enumerate(self.buttons.counters if self.buttons else ()):
            self._counter_exists(f"buttons.counters[{i}].counter", cb.counter, ids)

    @staticmethod
    def _counter_exists(key: str, cid: int, ids: list[int]) -> None:
        if cid not in ids:
            raise ConfigError(key, f"counter {cid} is not configured",
                              f"use one of {sorted(ids)}, or add it to [[counters]]")
