"""Wire a running kiosk from a :class:`~kiosk.config.Config`: store, service, drivers,
control socket. The one place that knows which adapters exist.

Drivers are imported here, at build time, never by the core.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from kiosk.clock import Clock
from kiosk.config import Config
from kiosk.control import ControlServer
from kiosk.errors import KioskError
from kiosk.outbox import Outbox
from kiosk.ports import Action, DriverContext, DriverParts, Input, Submit
from kiosk.service import KioskService
from kiosk.status import Status
from kiosk.store import Store
from kiosk.watch import WatchHub

log = logging.getLogger(__name__)

# config section -> driver package exposing validate(raw) and build(DriverContext)
DRIVERS: dict[str, str] = {
    "printer": "drivers.printer",
    "displays": "drivers.display",
    "audio": "drivers.audio",
    "buttons": "drivers.buttons",
    "mqtt": "kiosk.mqtt",  # off (nothing built, paho not imported) unless mqtt.url is set
}


def _driver(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None  # that driver is not part of this build
        raise


def validate_drivers(config: Config) -> None:
    """Let each driver check its own section; raises ConfigError naming the key."""
    for section, module in DRIVERS.items():
        mod = _driver(module)
        if mod is not None and section in config.drivers:
            mod.validate(config.drivers[section])


@dataclass
class Kiosk:
    """A running kiosk. ``start()`` / ``stop()``; ``service`` is the command entry point."""

    config: Config
    store: Store
    service: KioskService
    control: ControlServer | None
    closers: list[Input] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.service.start()
        if self.control:
            self.control.start()

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        if self.control:
            self.control.stop()
        for closer in self.closers:
            try:
                closer.close()
            except Exception:
                log.exception("closing %r failed", closer)
        self.service.stop()
        self.store.close()


def driver_context(config: Config, submit: Submit, section: str,
                   status: Callable[[], Status] | None = None) -> DriverContext:
    """The public view of ``config`` that the driver of ``section`` gets."""
    return DriverContext(
        submit=submit, branch=config.branch, services=config.services,
        counters=config.counters, state_dir=Path(config.storage_path).parent,
        settings=getattr(config, section),  # the checked model of that section, or None
        config_dir=config.source.parent if config.source else None,
        open_outbox=lambda: Outbox(Path(config.storage_path)), status=status,
        day_summary=lambda day: _day_summary(config, day),
    )


def _day_summary(config: Config, before: str) -> tuple[str, dict[str, Any]] | None:
    # imported here: the figures are needed once a day, by the MQTT driver alone
    from kiosk.report import daily

    return daily.previous_day_summary(config, before)


def build(config: Config, *, clock: Clock | None = None, socket_path: Path | None = None,
          control: bool = True, hardware: bool = True) -> Kiosk:
    """Build the kiosk for ``config``. ``hardware=False`` leaves all drivers out."""
    store = Store(config.storage_path)
    service = KioskService(config, store, clock=clock)
    actions: dict[str, Action] = {}
    closers: list[Input] = []
    if hardware:
        for section, module in DRIVERS.items():
            mod = _driver(module)
            if mod is None:
                log.warning("driver %s is not installed; %s disabled", module, section)
                continue
            parts: DriverParts = mod.build(driver_context(config, service.submit, section,
                                                           lambda: service.status))
            for sub in parts.subscribers:
                service.add_subscriber(sub)
            closers.extend(parts.inputs)
            for name, action in parts.actions.items():
                if name in actions:
                    raise KioskError(f"two drivers offer the action {name!r}")
                actions[name] = action
    server = None
    if control:
        # one subscriber for every watch connection: subscribers cannot be added once the
        # service runs, watchers come and go, each with its own bounded queue in the hub
        hub = WatchHub(lambda: service.status)
        service.add_subscriber(hub)
        server = ControlServer(socket_path or config.socket_path, service, actions,
                               watch=hub)
    return Kiosk(config, store, service, server, closers)
