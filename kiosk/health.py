"""Report a device's health to the kiosk, once per change: one helper for every driver.

>>> sent = []
>>> health = HealthReporter("printer", lambda cmd, source: sent.append(cmd), "printer")
>>> health.report("paper_out", "paper end")                  # a change: sent
True
>>> health.report("paper_out", "still no paper")             # the same status: not sent
False
>>> health.report("paper_out", "paper end", ticket="A012")   # a ticket always goes
True
>>> [(c.status, c.ticket) for c in sent]
[('paper_out', None), ('paper_out', 'A012')]

A change is a change of *status*. A driver that retries a faulty device every few
seconds gets a slightly different error text now and then ("write failed", then "could
not open port"); each of those is not news to the people watching the device list, so
only the first detail of a fault is sent. A report that names a ticket (one that did
not print) is always sent: each such ticket is a customer to look after.

:meth:`HealthReporter.report` never raises into the caller: a driver's I/O thread must
outlive a kiosk that is stopping or a command queue that is full.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

from kiosk.commands import ReportDevice
from kiosk.ports import Submit

log = logging.getLogger(__name__)
MAX_DETAIL = 200  # the core keeps no more than this of a detail


class HealthReporter:
    """Submits ``ReportDevice(name, status, detail, ticket)`` on changes only.

    Safe to call from several threads (a printer reports from its fan-out thread and
    from its monitor): the check and the submit happen under one lock, so reports reach
    the command queue in the order their changes were seen.
    """

    def __init__(self, name: str, submit: Submit, source: str) -> None:
        self.name = name
        self.source = source
        self._submit = submit
        self._lock = threading.Lock()
        self._status: str | None = None

    @property
    def status(self) -> str | None:
        """The status last sent (``None`` before the first report)."""
        return self._status

    def report(self, status: str, detail: str = "", ticket: str | None = None) -> bool:
        """Send the report if ``status`` changed or ``ticket`` is given; True if sent."""
        with self._lock:
            if status == self._status and ticket is None:
                return False
            cmd = ReportDevice(self.name, status, detail[:MAX_DETAIL], ticket)
            try:
                fut = self._submit(cmd, self.source)
            except Exception:  # a stopping kiosk: log it, keep the driver's thread alive
                log.exception("%s: could not report %s", self.name, status)
                return False
            # Remember only what was handed over, so a failed submit is tried again.
            self._status = status
        log.log(logging.INFO if status == "ok" else logging.WARNING, "%s: %s%s%s", self.name,
                status, f" ({ticket} not handled)" if ticket else "",
                f": {detail}" if detail else "")
        if isinstance(fut, Future):
            fut.add_done_callback(self._answered)
        return True

    def _answered(self, fut: Future[Any]) -> None:
        if fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            log.error("%s: reporting its status failed: %s", self.name, exc)
            return
        code = getattr(fut.result(), "code", None)  # a Rejected reply
        if code is not None:
            log.error("%s: its status report was refused: %s", self.name, code)
