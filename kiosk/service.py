"""The kiosk service: one command queue, one worker thread, around the pure core.

Every input (touch, buttons, MQTT, control socket) calls :meth:`KioskService.submit`.
The worker takes commands one at a time::

    decide(state, command, now) -> events | Rejected
    store.append(events)            # durable first (WAL, synchronous=FULL)
    state = apply(state, event)     # the same function that replays at start-up
    fan out to subscribers          # printer, displays, voice, screens, MQTT

Only the worker touches ``state``. Others read :attr:`KioskService.status`, an immutable
snapshot swapped atomically after each command.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from kiosk import commands as c
from kiosk import core
from kiosk.clock import Clock, SystemClock
from kiosk.config import Config
from kiosk.core import Rejected
from kiosk.errors import KioskError
from kiosk.events import Event
from kiosk.fanout import Outlet
from kiosk.ports import Subscriber
from kiosk.status import Status, snapshot
from kiosk.store import Store

log = logging.getLogger(__name__)
_STOP = object()


@dataclass(frozen=True, slots=True)
class Accepted:
    events: list[Event]
    status: Status
    data: Any = None  # query results (events list for GetEvents)


Reply = Accepted | Rejected


class KioskService:
    """Run the kiosk: ``start()``, ``submit(cmd, source)``, ``stop()``.

    >>> from kiosk import config
    >>> svc = KioskService(config.load(), Store(":memory:"))
    >>> svc.start()
    >>> svc.submit(c.Issue("A"), "doctest").result().events[-1].ticket
    'A001'
    >>> svc.stop()
    """

    def __init__(self, config: Config, store: Store, subscribers: list[Subscriber] | None = None,
                 clock: Clock | None = None, queue_size: int = 1000) -> None:
        self.config = config
        self.store = store
        self.clock = clock or SystemClock(config.branch.tz, config.require_sync,
                                          config.sync_flag)
        self._queue: queue.Queue[object] = queue.Queue(queue_size)
        self._outlets = [Outlet(s, self._subscriber_failed) for s in subscribers or []]
        self._thread = threading.Thread(target=self._run, name="kiosk-worker", daemon=True)
        self._state = core.new_state(config)
        self._stopping = False
        self.heartbeat = time.monotonic()
        self.status: Status = snapshot(self._state)
        self.replayed = 0

    # --- lifecycle --------------------------------------------------------------------

    def add_subscriber(self, sub: Subscriber) -> None:
        """Attach ``sub`` before :meth:`start` (drivers need :meth:`submit` to exist first)."""
        if self._thread.is_alive():
            raise RuntimeError("add subscribers before start()")
        self._outlets.append(Outlet(sub, self._subscriber_failed))

    def start(self) -> None:
        """Rebuild the latest business day from its events, then start the worker."""
        t0 = time.perf_counter()
        events = self.store.events()
        self._state = core.replay(self.config, events)
        self.replayed = len(events)
        self.status = snapshot(self._state)
        log.info("replayed %d events of business day %s in %.0f ms", len(events),
                 self._state.day, (time.perf_counter() - t0) * 1000)
        for outlet in self._outlets:
            outlet.start()
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the commands already queued, then stop the worker and subscribers."""
        if self._stopping:
            return
        self._stopping = True
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        for outlet in self._outlets:
            outlet.stop(timeout)

    def healthy(self, max_age: float = 10.0) -> bool:
        """True while the worker loop is alive and turning (used to feed the watchdog)."""
        return self._thread.is_alive() and time.monotonic() - self.heartbeat < max_age

    # --- the one entry point ----------------------------------------------------------

    def submit(self, cmd: c.Command, source: str = "system") -> Future[Reply]:
        """Queue ``cmd``; the future resolves to :class:`Accepted` or :class:`Rejected`.

        Safe to call from any thread (gpiozero callbacks, paho's loop, Kivy, sockets).
        """
        fut: Future[Reply] = Future()
        if self._stopping:
            fut.set_result(Rejected("stopping"))
            return fut
        try:
            self._queue.put_nowait((cmd, source, fut))
        except queue.Full:
            log.error("command queue full; refusing %r from %s", cmd, source)
            fut.set_result(Rejected("service_unavailable"))
        return fut

    def read_events(self, day: str | None = None) -> list[Event]:
        """Events of ``day`` (default: the current business day), from any thread.

        Served from the store's read-only connection, never on the worker: a long query
        must not hold up the next ticket.
        """
        return self.store.read_events(day or self.status.day)

    # --- worker -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self.heartbeat = time.monotonic()
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            if item is _STOP:
                return
            cmd, source, fut = item  # type: ignore[misc]
            try:
                fut.set_result(self._handle(cmd, source))
            except Exception as exc:  # the worker must survive anything one command does
                log.exception("command %r from %s failed", cmd, source)
                fut.set_exception(exc if isinstance(exc, KioskError) else
                                  KioskError(f"{type(exc).__name__}: {exc}"))

    def _handle(self, cmd: c.Command, source: str) -> Reply:
        if isinstance(cmd, c.GetStatus):
            return Accepted([], self.status)
        if isinstance(cmd, c.GetEvents):
            return Accepted([], self.status, data=self.store.events(cmd.day or self._state.day))
        result = core.decide(self._state, cmd, self.clock.now(),
                             clock_synced=self.clock.synced(), source=source)
        if isinstance(result, Rejected):
            log.info("rejected %r from %s: %s", cmd, source, result.code)
            return result
        if not result:
            return Accepted([], self.status)
        stored = self.store.append(result)  # durable before anything else happens
        for e in stored:
            self._state = core.apply(self._state, e)
        self.status = status = snapshot(self._state)
        for e in stored:
            log.info("%s %s %s %s", e.type, e.ticket or "", e.counter or "", e.source)
            for outlet in self._outlets:
                outlet.offer(e, status)
        return Accepted(stored, status)

    def _subscriber_failed(self, name: str, exc: Exception) -> None:
        detail = f"{type(exc).__name__}: {exc}"[:200]
        self.submit(c.ReportDevice(name, "error", detail), "system")
