"""Fan-out: each subscriber gets its own thread and one bounded queue, its only one.

The worker only ever does a non-blocking ``offer``. A subscriber that is slow (a printer
timing out, a voice still speaking) falls behind on its own queue; one that raises is
logged and reported as a device fault. Neither can block or break the command worker.

When a queue is full, the OLDEST waiting event is dropped to make room, and the overflow
is a device event, never silent. Why the oldest:

* every event carries the status as it stood after its commit, so a subscriber that
  skips ahead (a display, a screen) still ends up showing the hall as it is now; one
  fed a frozen prefix of the past (drop-newest) would show a stale hall until it
  caught up, and would then miss the present anyway;
* a subscriber that is a whole queue behind is minutes late: the customer who took the
  oldest ticket has long been told its number on the screen, while the one standing at
  the kiosk now is better served by the newest;
* nothing is lost from the record: the events are in the store and the MQTT outbox
  whatever a subscriber drops, and the device event names the dropped tickets.

An overflow episode starts at the first drop and ends when the subscriber has emptied
its queue. It is reported twice, whatever its size: ``error`` when it starts, ``ok``
with the count, the seq range and the dropped tickets when it ends, under the device
name ``<subscriber>:queue``. The subscriber's own name is left to the subscriber, whose
health reporter only reports its own changes and would never clear a fault put there
by someone else.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.events import ISSUED, Event
from kiosk.health import HealthReporter
from kiosk.ports import Submit, Subscriber
from kiosk.status import Status

log = logging.getLogger(__name__)
_Item = tuple[Event, Status, float]  # the event, the status after it, when it was queued
MAX_NAMED = 10  # dropped tickets named in a report; the rest are counted
_local = threading.local()


def queue_device(name: str) -> str:
    """The device name an outlet reports overflows under (at most 40 characters)."""
    return f"{name[:34]}:queue"


def waited() -> float:
    """Seconds the event being handled on this thread waited in its subscriber's queue.

    0.0 outside a fan-out thread. A subscriber may use it to skip work that is no longer
    worth doing, e.g. the voice skips a call it would announce minutes late; it is
    measured on the monotonic clock, so a wall-clock step cannot make it lie.
    """
    return float(getattr(_local, "waited", 0.0))


@dataclass(slots=True)
class _Episode:
    first_seq: int | None
    last_seq: int | None = None
    count: int = 0
    issued: int = 0
    tickets: list[str] = field(default_factory=list)

    def add(self, event: Event) -> None:
        self.count += 1
        self.last_seq = event.seq
        if event.type == ISSUED and event.ticket:
            self.issued += 1
            if len(self.tickets) < MAX_NAMED:
                self.tickets.append(event.ticket)

    def summary(self) -> str:
        more = f" and {self.issued - len(self.tickets)} more" if self.issued > MAX_NAMED else ""
        return (f"{self.count} events dropped (seq {self.first_seq}..{self.last_seq})"
                + (f"; issued tickets among them: {' '.join(self.tickets)}{more}"
                   if self.tickets else ""))


class Outlet:
    """One subscriber's queue and thread.

    ``on_error(name, exc)`` hears about a subscriber that raised. ``submit``, when given,
    carries overflow reports; without it an overflow still reaches ``on_error`` once per
    episode, as an :class:`EventsDropped` error.
    """

    def __init__(self, sub: Subscriber, on_error: Callable[[str, Exception], None],
                 maxsize: int = 1000, *, submit: Submit | None = None) -> None:
        self.sub = sub
        self.on_error = on_error
        self.maxsize = maxsize
        self.queue: queue.Queue[_Item | None] = queue.Queue(maxsize)  # None: stop
        self.dropped = 0  # in all, since start
        self._health = HealthReporter(queue_device(sub.name), submit, "system") if submit \
            else None
        self._lock = threading.Lock()  # the episode: the worker and our thread both touch it
        self._episode: _Episode | None = None
        self.thread = threading.Thread(target=self._run, name=f"sub-{sub.name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def offer(self, event: Event, status: Status) -> None:
        """Queue ``event``; never blocks. A full queue drops its oldest event."""
        item: _Item = (event, status, time.monotonic())
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except queue.Full:
                pass
            try:
                old = self.queue.get_nowait()
            except queue.Empty:
                continue  # the subscriber took one meanwhile: there is room now
            if old is None:  # only after stop(): nothing more is delivered
                self.queue.put_nowait(old)
                return
            self._drop(old[0])

    def stop(self, timeout: float) -> None:
        with contextlib.suppress(queue.Full):
            self.queue.put(None, timeout=timeout)
        if self.thread.is_alive():  # a kiosk that failed part-way through start()
            self.thread.join(timeout)
        try:
            self.sub.close()
        except Exception:
            log.exception("closing %s failed", self.sub.name)

    # --- overflow ---------------------------------------------------------------------

    # Reports are made under the lock (they never block: submit only queues), so the
    # "ok" that ends an episode can never overtake the "error" that started it.

    def _drop(self, event: Event) -> None:
        with self._lock:
            self.dropped += 1
            if self._episode is not None:
                self._episode.add(event)
                return
            self._episode = _Episode(event.seq)
            self._episode.add(event)
            detail = (f"{self.sub.name} is {self.maxsize} events behind; dropping the "
                      f"oldest, from seq {event.seq}"
                      + (f" ({event.type} {event.ticket})" if event.ticket else ""))
            log.error("%s", detail)
            if self._health is not None:
                self._health.report("error", detail)
            else:
                self.on_error(queue_device(self.sub.name), EventsDropped(detail))

    def _caught_up(self) -> None:
        """Called on our thread when the queue is empty: the episode, if any, is over."""
        with self._lock:
            episode, self._episode = self._episode, None
            if episode is None:
                return
            detail = f"{self.sub.name} caught up after {episode.summary()}"
            log.warning("%s", detail)
            if self._health is not None:
                self._health.report("ok", detail)

    # --- the subscriber's thread ------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            event, status, queued = item
            _local.waited = time.monotonic() - queued
            try:
                self.sub.handle(event, status)
            except Exception as exc:
                log.exception("%s failed on event %s", self.sub.name, event.seq)
                self.on_error(self.sub.name, exc)
            finally:
                _local.waited = 0.0
            if self._episode is not None and self.queue.empty():
                self._caught_up()


class EventsDropped(Exception):
    """A subscriber fell a whole queue behind and events were dropped for it."""
