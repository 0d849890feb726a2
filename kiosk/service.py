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
from datetime import datetime
from typing import Any

from kiosk import commands as c
from kiosk import core
from kiosk.clock import Clock, SystemClock
from kiosk.config import Config
from kiosk.core import Rejected, correction
from kiosk.errors import KioskError
from kiosk.events import Event
from kiosk.fanout import Outlet
from kiosk.ports import Subscriber
from kiosk.status import Status, snapshot
from kiosk.store import Store

log = logging.getLogger(__name__)
# what the worker takes from its queue; None tells it to stop
_Item = tuple[c.Command, str, "Future[Reply]"]


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
        self._queue: queue.Queue[_Item | None] = queue.Queue(queue_size)
        self._outlets = [self._outlet(s) for s in subscribers or []]
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
        self._outlets.append(self._outlet(sub))

    def _outlet(self, sub: Subscriber) -> Outlet:
        # an overflow is reported through the command queue, like any device's health
        return Outlet(sub, self._subscriber_failed, submit=self.submit)

    def start(self) -> None:
        """Rebuild the latest business day from its events, then start the worker."""
        t0 = time.perf_counter()
        events = self.store.events()
        self._state = core.replay(self.config, events)
        self.replayed = len(events)
        self.status = snapshot(self._state)
        self._restore_numbers()
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
            self._queue.put(None)  # stop: the worker finishes what was queued first
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
        if isinstance(cmd, c.GetEvents):
            # A read, answered on the caller's thread from the store's read-only
            # connection: a day of tens of thousands of events never holds up the worker.
            try:
                fut.set_result(Accepted([], self.status, data=self.read_events(cmd.day)))
            except Exception as exc:
                log.exception("reading the events of %s failed", cmd.day or "today")
                fut.set_exception(KioskError(f"{type(exc).__name__}: {exc}"))
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
            if item is None:
                return
            cmd, source, fut = item
            try:
                fut.set_result(self._handle(cmd, source))
            except Exception as exc:  # the worker must survive anything one command does
                log.exception("command %r from %s failed", cmd, source)
                fut.set_exception(exc if isinstance(exc, KioskError) else
                                  KioskError(f"{type(exc).__name__}: {exc}"))

    def _handle(self, cmd: c.Command, source: str) -> Reply:
        if isinstance(cmd, c.GetStatus):
            return Accepted([], self.status)
        now, synced = self.clock.now(), self.clock.synced()
        right_day = correction.day_correction(self._state, now, synced)
        # A correction is recorded even when the command itself is then refused.
        done = self._correct_day(right_day, now) if right_day is not None else []
        result = core.decide(self._state, cmd, now, clock_synced=synced, source=source)
        if isinstance(result, Rejected):
            log.info("rejected %r from %s: %s", cmd, source, result.code)
            return result
        if not result:
            return Accepted(done, self.status)
        return Accepted(done + self._commit(result), self.status)

    def _commit(self, events: list[Event], state: core.State | None = None) -> list[Event]:
        """Make ``events`` durable, apply them to ``state`` (default: the current one),
        then hand them to the subscribers."""
        stored = self.store.append(events)  # durable before anything else happens
        s = self._state if state is None else state
        for e in stored:
            s = core.apply(s, e)
        self._state = s
        self.status = status = snapshot(s, prev=self.status, events=stored)
        for e in stored:
            log.info("%s %s %s %s", e.type, e.ticket or "", e.counter or "", e.source)
            for outlet in self._outlets:
                outlet.offer(e, status)
        return stored

    def _correct_day(self, day: str, now: datetime) -> list[Event]:
        """The clock was wrong when it started the current day: go back to ``day``,
        rebuilt from its own events, with the hall as it stands now."""
        right = core.replay(self.config, self.store.events(day))
        if right.day != day:  # the right day has no events yet
            right = core.new_state(self.config, day, self._state.devices)
        log.warning("clock corrected: business day %s was started by a wrong clock; "
                    "back to %s, numbering goes on without repeats", self._state.day, day)
        return self._commit(correction.correct_day(self._state, right, now), right)

    def _restore_numbers(self) -> None:
        """The store is behind its high-water mark: tickets that were printed are gone
        from it. Record that, and let numbering go on after the mark."""
        rec = self.store.recovery
        if rec is None:
            return
        latest = self.store.latest_day()
        if rec.day is None or (latest is not None and rec.day < latest):
            # No numbers were lost (the store already moved seq past the mark), or the
            # store holds a later day, so the lost numbers belong to the past.
            log.warning("the store was behind its high-water mark (seq %d < %d); "
                        "event numbering continues after the mark", rec.store_seq,
                        rec.mark_seq)
            return
        log.error("the store is behind its high-water mark (seq %d < %d): events were "
                  "lost; numbering of %s goes on after %s", rec.store_seq, rec.mark_seq,
                  rec.day, rec.numbers)
        self._commit(correction.restore_numbers(
            self._state, rec.day, dict(rec.numbers), self.clock.now(),
            mark_seq=rec.mark_seq, store_seq=rec.store_seq))

    def _subscriber_failed(self, name: str, exc: Exception) -> None:
        detail = f"{type(exc).__name__}: {exc}"[:200]
        self.submit(c.ReportDevice(name, "error", detail), "system")
