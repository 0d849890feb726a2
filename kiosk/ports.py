"""The seams between the service and everything around it.

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

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from kiosk.commands import Command
from kiosk.events import Event
from kiosk.status import Status


@runtime_checkable
class Subscriber(Protocol):
    name: str

    def handle(self, event: Event, status: Status) -> None:
        """Called on the subscriber's own thread, in commit order."""

    def close(self) -> None:
        """Release the device. Called once at shutdown."""


Submit = Callable[[Command, str], "Future[Any]"]
