"""The watch hub: every committed event, with the status after it, pushed to the screens
that watch the control socket (``{"cmd": "watch"}``, see :mod:`kiosk.control`).

The hub is ONE :class:`~kiosk.ports.Subscriber`, added when the kiosk is built (the
service takes subscribers only before it starts), so it runs on its own fan-out thread
and the worker never waits for it. It encodes each event once and offers the line to
every connected :class:`Watcher` without waiting: each watcher has its own bounded
queue, and one whose queue is full has fallen behind (a screen that stopped reading). It
is marked ``behind``, leaves the hub and is disconnected with a notice by its connection;
the other watchers, the hub and the worker carry on as if it had never been there.

Events carry no personal data (no names, ID or phone numbers), so a watcher sees only
what the hall display may show.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kiosk.events import Event
from kiosk.status import Status

log = logging.getLogger(__name__)
WATCH_QUEUE = 256  # event lines a watcher may be behind before it is disconnected
_WAKE = b""  # put in a watcher's queue to wake it when it is closed


def line(obj: dict[str, Any]) -> bytes:
    """One message of the control protocol: compact JSON, UTF-8, one line."""
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


class Watcher:
    """One watching connection's queue of encoded event lines.

    ``behind`` is set (by the hub) when the queue was full; ``closed`` when the hub or
    the control server is shutting down. The connection's thread checks both after
    every :meth:`next`.
    """

    def __init__(self, maxsize: int = WATCH_QUEUE) -> None:
        self.queue: queue.Queue[bytes] = queue.Queue(maxsize)
        self.behind = False
        self.closed = False

    def offer(self, data: bytes) -> bool:
        """Queue ``data`` without waiting; False (and ``behind`` set) if the queue is full."""
        try:
            self.queue.put_nowait(data)
        except queue.Full:
            self.behind = True
            return False
        return True

    def next(self, timeout: float) -> bytes | None:
        """The next event line, or None after ``timeout`` s or once behind or closed."""
        if self.stopped:
            return None
        try:
            data = self.queue.get(timeout=timeout)
        except queue.Empty:
            return None
        # re-read the flags: the hub or the server may have set them while we waited
        return None if data == _WAKE or self.stopped else data

    @property
    def stopped(self) -> bool:
        """Behind or closed: the connection should say why and close."""
        return self.behind or self.closed

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(queue.Full):  # a full queue wakes the thread anyway
            self.queue.put_nowait(_WAKE)  # wake the connection's thread


class WatchHub:
    """Fan committed events out to the connected watchers; a :class:`Subscriber`.

    :meth:`prime` gives it the status to start from, once the service has rebuilt its
    state and before anyone watches (the control server does it when it starts);
    ``current`` is the fallback for a hub never primed.
    """

    name = "watch"

    def __init__(self, current: Callable[[], Status], maxsize: int = WATCH_QUEUE) -> None:
        self.maxsize = maxsize
        self._current = current
        self._lock = threading.Lock()
        self._watchers: set[Watcher] = set()
        self._last: Status | None = None
        self._closed = False
        self.disconnected = 0  # watchers dropped for falling behind, since start

    @property
    def count(self) -> int:
        """Watchers connected now."""
        return len(self._watchers)

    def prime(self, status: Status) -> None:
        """Start from ``status`` (the service's, after its replay) unless events came first.

        The hub follows the worker on its own thread, a little behind it: the service's
        status may already include an event still on its way to the hub. Primed before
        the control socket opens, the hub starts from the status the first event it
        passes on will follow.
        """
        with self._lock:
            if self._last is None:
                self._last = status

    def join(self) -> tuple[Watcher, Status]:
        """A new watcher and the status it starts from.

        Taken under the hub's lock: the status is the one after the last event the hub
        has passed on (or the primed one), and the watcher gets every event after it,
        none twice.
        """
        w = Watcher(self.maxsize)
        with self._lock:
            if self._closed:
                w.close()
            else:
                self._watchers.add(w)
            status = self._last if self._last is not None else self._current()
        return w, status

    def leave(self, w: Watcher) -> None:
        with self._lock:
            self._watchers.discard(w)

    # --- Subscriber ----------------------------------------------------------------------

    def handle(self, event: Event, status: Status) -> None:
        with self._lock:
            self._last = status
            watchers = list(self._watchers)
        if not watchers:
            return
        data = line({"event": event.to_dict(), "status": status.to_dict()})
        for w in watchers:
            if not w.offer(data):
                log.warning("a watcher fell %d events behind at seq %s; disconnecting it",
                            self.maxsize, event.seq)
                self.disconnected += 1
                self.leave(w)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            watchers, self._watchers = list(self._watchers), set()
        for w in watchers:
            w.close()


__all__ = ["WATCH_QUEUE", "WatchHub", "Watcher", "line"]
