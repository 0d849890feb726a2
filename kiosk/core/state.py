"""The kiosk's state for one business day, and ``apply``: the only way it changes.

``apply`` is used both by the live worker after a commit and at start-up to replay the
day's events, so the two can never disagree. It trusts its input: validation is
``decide``'s job.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime

from kiosk import events as ev
from kiosk.config_model import Config
from kiosk.core import hours
from kiosk.events import Event

WAITING, CALLED, FINISHED, NO_SHOW = "waiting", "called", "finished", "no_show"
OPEN, PAUSED, CLOSED = "open", "paused", "closed"


@dataclass(slots=True)
class Ticket:
    id: str  # "A012": prefix of the service it was issued for, never changes
    service: str  # the service it waits for now (a transfer changes it)
    number: int
    order: int  # issue order within the day: the FIFO key, immune to clock steps
    issued_at: str
    priority: str | None = None
    status: str = WAITING
    recalls: int = 0
    counter: int | None = None  # the counter that called it
    pinned: int | None = None  # transferred to this counter: only it may call the ticket
    head: int | None = None  # set when reinstated: goes to the head of its queue

    def key(self) -> tuple[int, int]:
        """Sort key among eligible waiting tickets: reinstated, then priority, then FIFO."""
        if self.head is not None:
            return (0, self.head)
        return (1 if self.priority else 2, self.order)


@dataclass(slots=True)
class CounterState:
    id: int
    status: str = OPEN
    current: str | None = None
    priority_streak: int = 0
    reason: str | None = None
    redirect: int | None = None
    last_finished: str | None = None
    last_finished_at: str | None = None


HeapEntry = tuple[tuple[int, int], str]


@dataclass(slots=True)
class State:
    config: Config
    day: str | None = None
    tickets: dict[str, Ticket] = field(default_factory=dict)
    # service -> waiting tickets (id -> Ticket): who is in which queue
    waiting: dict[str, dict[str, Ticket]] = field(default_factory=dict)
    # service -> (front, ordinary) heaps of (key, id) for unpinned waiting tickets, so
    # call-next never scans the whole queue. "front" holds reinstated and priority tickets,
    # "ordinary" the rest. Entries go stale when a ticket leaves or changes key; ``apply``
    # drops stale entries from the top, so the top of each heap is always valid.
    heaps: dict[str, tuple[list[HeapEntry], list[HeapEntry]]] = field(default_factory=dict)
    pins: dict[str, int] = field(default_factory=dict)  # waiting ticket -> pinned counter
    last_number: dict[str, int] = field(default_factory=dict)
    issued: int = 0
    last_issued: str | None = None  # the ticket a reprint gives when none is named
    reinstated: int = 0
    counters: dict[int, CounterState] = field(default_factory=dict)
    devices: dict[str, dict[str, str]] = field(default_factory=dict)
    # device -> ts of the event that last changed it; apart from ``devices``, whose
    # entries decide() compares with a new report to keep only changes
    device_since: dict[str, str] = field(default_factory=dict)
    rated: set[str] = field(default_factory=set)
    # [start, end) of the business day ``day``: instants inside need no calendar lookup
    window: tuple[datetime, datetime] | None = None


def new_state(config: Config, day: str | None = None,
              devices: dict[str, dict[str, str]] | None = None,
              device_since: dict[str, str] | None = None) -> State:
    window = None
    if day is not None:
        window = hours.day_window(config.hours, config.branch.tz, date.fromisoformat(day))
    return State(
        window=window,
        config=config,
        day=day,
        waiting={s: {} for s in config.services},
        heaps={s: ([], []) for s in config.services},
        last_number={s: 0 for s in config.services},
        counters={c.id: CounterState(c.id, status=c.start) for c in config.counters.values()},
        devices=dict(devices or {}),
        device_since=dict(device_since or {}),
    )


def _unwait(s: State, t: Ticket) -> None:
    s.waiting[t.service].pop(t.id, None)
    s.pins.pop(t.id, None)


def _wait(s: State, t: Ticket) -> None:
    t.status, t.counter = WAITING, None
    s.waiting[t.service][t.id] = t
    if t.pinned is None:
        key = t.key()
        heapq.heappush(s.heaps[t.service][key[0] == 2], (key, t.id))
    else:
        s.pins[t.id] = t.pinned


def _release_pins(s: State, counter: int, to: int | None) -> None:
    for tid in [k for k, v in s.pins.items() if v == counter]:
        t = s.tickets[tid]
        del s.pins[tid]
        t.pinned = to
        _wait(s, t)


def is_live(s: State, service: str, entry: HeapEntry) -> bool:
    """True when a heap entry still describes a waiting, unpinned ticket of ``service``."""
    t = s.tickets.get(entry[1])
    return (t is not None and t.status == WAITING and t.pinned is None
            and t.service == service and t.key() == entry[0])


def _drop_stale(s: State, services: tuple[str | None, ...]) -> None:
    for service in services:
        if service is None:
            continue
        for heap in s.heaps.get(service, ()):
            while heap and not is_live(s, service, heap[0]):
                heapq.heappop(heap)


def apply(s: State, e: Event) -> State:
    """Apply one committed event to ``s`` in place and return it."""
    s = _apply(s, e)
    # Only these events take tickets out of a queue or change their key.
    if e.type in (ev.CALLED, ev.REINSTATED):
        _drop_stale(s, (e.service,))
    elif e.type == ev.TRANSFERRED:
        _drop_stale(s, (e.data["from_service"], e.data["to_service"]))
    elif e.type in (ev.PAUSED, ev.CLOSED, ev.CLOCK_CORRECTED):
        _drop_stale(s, tuple(s.heaps))
    return s


def _raise_floor(s: State, floor: dict[str, int]) -> None:
    for prefix, n in floor.items():
        if prefix in s.last_number:
            s.last_number[prefix] = max(s.last_number[prefix], n)


def _carry(s: State, e: Event) -> State:
    """Apply ``clock_corrected``: the right day as its events left it, plus the hall as
    the wrong day left it (see :mod:`kiosk.core.correction`)."""
    if s.day != e.day:
        s = new_state(s.config, e.day, s.devices, s.device_since)
    _raise_floor(s, e.data["floor"])
    for rec in e.data["counters"]:
        c = s.counters.get(rec["id"])
        if c is not None:
            c.status, c.reason, c.redirect = rec["status"], rec["reason"], rec["redirect"]
            c.current, c.priority_streak = None, 0
    for rec in e.data["carried"]:
        if rec["service"] not in s.waiting:
            continue  # a service no longer offered: nothing to queue for
        old = s.tickets.get(rec["id"])
        if old is not None:
            _unwait(s, old)
        s.issued += 1
        t = Ticket(rec["id"], rec["service"], rec["number"], s.issued, rec["issued_at"],
                   rec["priority"], recalls=rec["recalls"])
        s.tickets[t.id] = t
        c = s.counters.get(rec["counter"]) if rec["status"] == CALLED else None
        if c is not None:
            t.status, t.counter = CALLED, c.id
            c.current = t.id
            continue
        t.pinned = rec["pinned"] if rec["pinned"] in s.counters else None
        if rec["head"]:
            s.reinstated += 1
            t.head = s.reinstated
        _wait(s, t)
    return s


def _apply(s: State, e: Event) -> State:
    kind = e.type
    if kind == ev.DAY_STARTED:
        return new_state(s.config, e.day, s.devices, s.device_since)
    if kind == ev.CLOCK_CORRECTED:
        return _carry(s, e)
    if kind == ev.NUMBERS_RESTORED:
        if s.day != e.day:
            s = new_state(s.config, e.day, s.devices, s.device_since)
        _raise_floor(s, e.data["floor"])
        return s
    # Events that name a ticket or a counter always carry it (decide() made them); ""
    # and 0 only satisfy the type checker and would fail loudly as an unknown key.
    tid, cid = e.ticket or "", e.counter or 0
    if kind == ev.ISSUED:
        number = e.data["number"]
        s.issued += 1
        t = Ticket(tid, e.service or "", number, s.issued, e.ts, e.data.get("priority"))
        s.tickets[t.id] = t
        _wait(s, t)
        s.last_number[t.service] = number
        s.last_issued = t.id
    elif kind == ev.CALLED:
        t, c = s.tickets[tid], s.counters[cid]
        _unwait(s, t)
        t.status, t.counter, t.pinned, t.head = CALLED, c.id, None, None
        c.current = t.id
        c.priority_streak = c.priority_streak + 1 if t.priority else 0
    elif kind == ev.RECALLED:
        s.tickets[tid].recalls = e.data["recalls"]
    elif kind in (ev.FINISHED, ev.NO_SHOW):
        t, c = s.tickets[tid], s.counters[cid]
        t.status = FINISHED if kind == ev.FINISHED else NO_SHOW
        c.current = None
        if kind == ev.FINISHED:
            c.last_finished, c.last_finished_at = t.id, e.ts
    elif kind == ev.REINSTATED:
        t = s.tickets[tid]
        s.reinstated += 1
        t.recalls, t.pinned, t.head = 0, None, s.reinstated
        _wait(s, t)
    elif kind == ev.TRANSFERRED:
        t = s.tickets[tid]
        s.counters[e.data["from_counter"]].current = None
        _unwait(s, t)
        t.service = e.data["to_service"]
        t.pinned = e.data.get("to_counter")
        t.recalls = 0
        _wait(s, t)
    elif kind in (ev.PAUSED, ev.CLOSED):
        c = s.counters[cid]
        c.status = PAUSED if kind == ev.PAUSED else CLOSED
        c.reason, c.redirect = e.data.get("reason"), e.data.get("redirect")
        c.priority_streak = 0
        _release_pins(s, c.id, c.redirect)
    elif kind in (ev.RESUMED, ev.OPENED):
        c = s.counters[cid]
        c.status, c.reason, c.redirect = OPEN, None, None
    elif kind == ev.DEVICE_STATUS:
        s.devices[e.data["device"]] = {"status": e.data["status"],
                                       "detail": e.data.get("detail", "")}
        s.device_since[e.data["device"]] = e.ts
    elif kind == ev.RATED:
        s.rated.add(tid)
    # ``reprinted`` changes nothing in the queue: it is there for the record, the
    # printer, the screens and MQTT.
    return s


def replay(config: Config, events: list[Event]) -> State:
    s = new_state(config)
    for e in events:
        s = apply(s, e)
    return s
