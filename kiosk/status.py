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
from kiosk.core.state import State


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


def snapshot(s: State, preview: int = 5) -> Status:
    services = []
    for prefix, svc in s.config.services.items():
        waiting = s.waiting[prefix]
        first = heapq.nsmallest(preview, waiting.values(), key=lambda t: t.key())
        services.append(ServiceView(
            prefix, svc.name_zh, svc.name_en, len(waiting),
            queue.wait_minutes(s, prefix, len(waiting)),
            tuple(c.id for c in queue.open_counters(s, prefix)),
            tuple(t.id for t in first),
        ))
    counters = tuple(
        CounterView(c.id, c.status, c.current, s.config.counters[c.id].services, c.reason,
                    c.redirect)
        for c in s.counters.values()
    )
    return Status(s.day, tuple(services), counters,
                  {k: dict(v) for k, v in s.devices.items()}, s.issued)
