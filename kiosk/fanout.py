"""Fan-out: each subscriber gets its own thread and bounded queue.

The worker only ever does a non-blocking ``put``. A subscriber that is slow (a printer
timing out) falls behind on its own queue; one that raises is logged and reported as a
device fault. Neither can block or break the command worker.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable

from kiosk.events import Event
from kiosk.ports import Subscriber
from kiosk.status import Status

log = logging.getLogger(__name__)
_STOP = object()


class Outlet:
    def __init__(self, sub: Subscriber, on_error: Callable[[str, Exception], None],
                 maxsize: int = 1000) -> None:
        self.sub = sub
        self.on_error = on_error
        self.queue: queue.Queue[object] = queue.Queue(maxsize)
        self.dropped = 0
        self.thread = threading.Thread(target=self._run, name=f"sub-{sub.name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def offer(self, event: Event, status: Status) -> None:
        try:
            self.queue.put_nowait((event, status))
        except queue.Full:
            self.dropped += 1
            log.warning("%s is %d events behind; dropped seq %s", self.sub.name,
                        self.queue.qsize(), event.seq)

    def stop(self, timeout: float) -> None:
        with contextlib.suppress(queue.Full):
            self.queue.put(_STOP, timeout=timeout)
        if self.thread.is_alive():  # a kiosk that failed part-way through start()
            self.thread.join(timeout)
        try:
            self.sub.close()
        except Exception:
            log.exception("closing %s failed", self.sub.name)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            event, status = item  # type: ignore[misc]
            try:
                self.sub.handle(event, status)
            except Exception as exc:
                log.exception("%s failed on event %s", self.sub.name, event.seq)
                self.on_error(self.sub.name, exc)
