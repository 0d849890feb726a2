"""The outbox seen from outside the worker: its own SQLite connection to the store file.

Placeholder for the MQTT issue: the relay's connection (pending rows in ``seq`` order,
mark sent on PUBACK, backlog, prune) is built here.
"""

from __future__ import annotations

from pathlib import Path


class Outbox:
    """Opened by :attr:`kiosk.ports.DriverContext.open_outbox`."""

    def __init__(self, path: Path) -> None:
        self.path = path
