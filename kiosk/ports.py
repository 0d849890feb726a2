"""The seams between the service and everything around it: the public driver contract.

A driver is a package with one function, ``build(ctx: DriverContext) -> DriverParts``::

    from kiosk.ports import DriverContext, DriverParts

    def build(ctx: DriverContext) -> DriverParts:
        printer = PrinterSubscriber(ctx, open_backend(ctx.settings))
        return DriverParts(subscribers=[printer])

* :class:`DriverContext` is all a driver may know of the kiosk: its own validated config
  section (``settings``), the branch, services and counters, the time zone, the state
  directory, and :data:`Submit`. A driver never sees :class:`kiosk.config.Config` and
  imports no private name from ``kiosk``.
* :class:`DriverParts` says what the driver made, explicitly: subscribers get every
  committed event, inputs (buttons) are closed at shutdown, actions are device-level
  requests the control socket may call by name.
* A :class:`Subscriber` receives every committed event with a fresh :class:`Status`.
  The service runs each subscriber on its own thread with its own queue, so a slow or
  failing subscriber (a wedged printer, a missing display) can never block or crash the
  command worker. Subscribers must not touch the core; to change anything they submit a
  command.
* :data:`Submit` puts a command on the one command queue and returns a future that
  resolves to :class:`kiosk.service.Accepted` or :class:`kiosk.core.Rejected`. Drivers
  report device health with ``submit(ReportDevice("printer", "paper_out"), "printer")``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kiosk.commands import Command
from kiosk.events import Event
from kiosk.status import Status

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from kiosk.config import Branch, Counter, Service
    from kiosk.outbox import Outbox


@runtime_checkable
class Subscriber(Protocol):
    name: str

    def handle(self, event: Event, status: Status) -> None:
        """Called on the subscriber's own thread, in commit order."""

    def close(self) -> None:
        """Release the device. Called once at shutdown."""


@runtime_checkable
class Input(Protocol):
    """A device that only submits commands (counter buttons): nothing to hand it."""

    def close(self) -> None:
        """Release the device. Called once at shutdown."""


Submit = Callable[[Command, str], "Future[Any]"]
#: A device-level request by name: takes the request's ``args``, returns the reply.
Action = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DriverContext:
    """What a driver may know of the kiosk.

    ``settings`` is the driver's own section of the config, already validated (None
    when the file has none: the driver then runs its simulated stand-in). Relative paths
    in it are relative to ``config_dir``.
    """

    submit: Submit
    branch: Branch
    services: Mapping[str, Service]
    counters: Mapping[int, Counter]
    state_dir: Path
    settings: Any = None
    config_dir: Path | None = None
    #: opens a new :class:`kiosk.outbox.Outbox` on the store: its own SQLite connection
    #: to the outbox table only, never the worker's (the MQTT relay drains it this way)
    open_outbox: Callable[[], Outbox] | None = None
    #: the latest committed :class:`Status`, readable from any thread at any time
    status: Callable[[], Status] | None = None
    #: ``day_summary(day)``: the report figures (:func:`kiosk.report.summary`) of the
    #: latest business day before ``day`` (ISO) that has events, read through a read-only
    #: connection of its own; None when there is none. Call it off the worker's thread.
    day_summary: Callable[[str], tuple[str, dict[str, Any]] | None] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self.branch.tz


@dataclass(slots=True)
class DriverParts:
    """What ``build`` made. Empty lists mean the driver has nothing of that kind."""

    subscribers: list[Subscriber] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    actions: dict[str, Action] = field(default_factory=dict)


__all__ = ["Action", "DriverContext", "DriverParts", "Input", "Submit", "Subscriber"]
