"""A read-only snapshot of the live queue, handed to subscribers and shown by ``status``.

Built by the worker after each accepted command; immutable, so other threads (Kivy,
MQTT, drivers) may keep it without locks. It holds no personal data: only ticket
numbers, services and counters.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from kiosk import events as ev
from kiosk.core import queue
from kiosk.core.state import State, is_live
from kiosk.events import Event


@dataclass(frozen=True, slots=True)
class ServiceView:
    prefix: str
    name_zh: str
    name_en: str
    waiting: int
    wait_minutes: int
    open_counters: tuple[int, ...]
    next_tickets: tuple[str, ...]  # the first few in calling order, for the hall screen


@dataclass(frozen=True, slots=True)
class CounterView:
    id: int
    status: str  # open / paused / closed
    current: str | None
    services: tuple[str, ...]
    reason: str | None
    redirect: int | None


@dataclass(frozen=True, slots=True)
class Status:
    day: str | None
    services: tuple[ServiceView, ...]
    counters: tuple[CounterView, ...]
    devices: dict[str, dict[str, str]]
    issued_today: int

    def counter(self, cid: int) -> CounterView | None:
        return next((c for c in self.counters if c.id == cid), None)

    def service(self, prefix: str) -> ServiceView | None:
        return next((s for s in self.services if s.prefix == prefix), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def first_waiting(s: State, prefix: str, k: int) -> tuple[str, ...]:
    """The first ``k`` waiting tickets of ``prefix`` by their calling key.

    Built after every command, so it must not grow with the queue: it walks the
    service's two heaps from the top (a heap's k smallest lie within its first levels)
    and adds the few tickets pinned to a counter, instead of sorting everyone waiting.
    Stale heap entries (tickets that left or changed key) are passed over.
    """
    if k <= 0:
        return ()
    cand: list[tuple[tuple[int, int], str, int, int]] = []
    for h, heap in enumerate(s.heaps[prefix]):
        if heap:
            cand.append((heap[0][0], heap[0][1], h, 0))
    for tid in s.pins:  # a handful at most: tickets sent to a particular counter
        t = s.tickets[tid]
        if t.service == prefix:
            cand.append((t.key(), tid, -1, 0))
    heapq.heapify(cand)
    out: list[str] = []
    seen: set[str] = set()
    while cand and len(out) < k:
        _key, tid, h, i = heapq.heappop(cand)
        if h >= 0:
            heap = s.heaps[prefix][h]
            for child in (2 * i + 1, 2 * i + 2):
                if child < len(heap):
                    heapq.heappush(cand, (heap[child][0], heap[child][1], h, child))
            if not is_live(s, prefix, heap[i]):
                continue
        if tid not in seen:  # a ticket transferred away and back has two live entries
            seen.add(tid)
            out.append(tid)
    return tuple(out)


def _service_view(s: State, prefix: str, preview: int) -> ServiceView:
    svc = s.config.services[prefix]
    waiting = len(s.waiting[prefix])
    open_ids = tuple(c.id for c in queue.open_counters(s, prefix))
    return ServiceView(
        prefix, svc.name_zh, svc.name_en, waiting,
        queue.wait_minutes(s, prefix, waiting, len(open_ids)), open_ids,
        first_waiting(s, prefix, preview),
    )


def _counter_view(s: State, cid: int) -> CounterView:
    c = s.counters[cid]
    return CounterView(c.id, c.status, c.current, s.config.counters[c.id].services, c.reason,
                       c.redirect)


def _joined(s: State, v: ServiceView, preview: int) -> ServiceView:
    """``v`` after ordinary tickets joined the back of its queue: a new ordinary ticket
    sorts after everyone already waiting, so a full preview stays as it was (the common
    case, and it spares the walk of the heaps)."""
    if len(v.next_tickets) < preview:
        return _service_view(s, v.prefix, preview)
    waiting = len(s.waiting[v.prefix])
    return ServiceView(v.prefix, v.name_zh, v.name_en, waiting,
                       queue.wait_minutes(s, v.prefix, waiting, len(v.open_counters)),
                       v.open_counters, v.next_tickets)


def _devices(s: State) -> dict[str, dict[str, str]]:
    """Each device's status and detail, and ``since``: the time of the event that last
    changed it (IT reads how long a printer has been out of paper)."""
    return {k: {**v, "since": s.device_since.get(k, "")} for k, v in s.devices.items()}


# Events after which everything is rebuilt: a new or corrected day, or a counter leaving
# (its pinned customers move to other counters).
_REBUILD = frozenset({ev.DAY_STARTED, ev.CLOCK_CORRECTED, ev.NUMBERS_RESTORED, ev.PAUSED,
                      ev.CLOSED})


def snapshot(s: State, preview: int = 5, prev: Status | None = None,
             events: Iterable[Event] = ()) -> Status:
    """The status of ``s``. Given the ``prev`` status and the ``events`` applied since,
    only the services and counters those events touched are rebuilt: the worker builds
    a snapshot after every command, and most commands touch one service and one counter.
    """
    events = tuple(events)
    if prev is None or prev.day != s.day or any(e.type in _REBUILD for e in events):
        return Status(s.day,
                      tuple(_service_view(s, p, preview) for p in s.config.services),
                      tuple(_counter_view(s, cid) for cid in s.counters),
                      _devices(s), s.issued)
    services: set[str] = set()
    joined: set[str] = set()  # services whose only change is an ordinary ticket at the back
    counters: set[int] = set()
    devices = prev.devices
    for e in events:
        kind = e.type
        if kind == ev.ISSUED and e.service and not e.data.get("priority"):
            joined.add(e.service)
        elif kind in (ev.ISSUED, ev.CALLED, ev.REINSTATED) and e.service:
            services.add(e.service)
        if kind in (ev.CALLED, ev.FINISHED, ev.NO_SHOW) and e.counter:
            counters.add(e.counter)
        elif kind == ev.TRANSFERRED:
            services.update((e.data["from_service"], e.data["to_service"]))
            counters.add(e.data["from_counter"])
        elif kind in (ev.RESUMED, ev.OPENED) and e.counter:
            counters.add(e.counter)  # and the wait estimate of each service it serves
            services.update(s.config.counters[e.counter].services)
        elif kind == ev.DEVICE_STATUS:
            devices = _devices(s)
    return Status(
        s.day,
        tuple(_service_view(s, v.prefix, preview) if v.prefix in services
              else _joined(s, v, preview) if v.prefix in joined else v
              for v in prev.services),
        tuple(_counter_view(s, v.id) if v.id in counters else v for v in prev.counters),
        devices, s.issued)
