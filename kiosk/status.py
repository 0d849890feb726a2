"""A read-only snapshot of the live queue, handed to subscribers and shown by ``status``.

Built by the worker after each accepted command; immutable, so other threads (Kivy,
MQTT, drivers) may keep it without locks. It holds no personal data: only ticket
numbers, services and counters.
"""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass
from typing import Any

from kiosk.core import queue
from kiosk.core.state import State, is_live


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


def snapshot(s: State, preview: int = 5) -> Status:
    services = []
    for prefix, svc in s.config.services.items():
        waiting = len(s.waiting[prefix])
        services.append(ServiceView(
            prefix, svc.name_zh, svc.name_en, waiting,
            queue.wait_minutes(s, prefix, waiting),
            tuple(c.id for c in queue.open_counters(s, prefix)),
            first_waiting(s, prefix, preview),
        ))
    counters = tuple(
        CounterView(c.id, c.status, c.current, s.config.counters[c.id].services, c.reason,
                    c.redirect)
        for c in s.counters.values()
    )
    return Status(s.day, tuple(services), counters,
                  {k: dict(v) for k, v in s.devices.items()}, s.issued)
