"""Who is next: eligibility, ordering, queue positions and wait estimates. Pure."""

from __future__ import annotations

import math

from kiosk.core.state import OPEN, CounterState, State, Ticket, is_live


def _top(s: State, service: str, front: bool) -> Ticket | None:
    heap = s.heaps[service][0 if front else 1]
    if not heap:
        return None
    tid = heap[0][1]
    if is_live(s, service, heap[0]):  # apply() keeps tops live; this is a safety net
        return s.tickets[tid]
    live = [e for e in heap if is_live(s, service, e)]
    return s.tickets[min(live)[1]] if live else None


def _is_priority(t: Ticket) -> bool:
    """Priority tier proper; a reinstated ticket is at the head for another reason."""
    return bool(t.priority) and t.head is None


def pick_next(s: State, counter: int) -> Ticket | None:
    """The ticket ``counter`` calls next, or None when nobody waits for it.

    Eligible: waiting tickets pinned to this counter, and unpinned ones of the services it
    serves. Within those, reinstated tickets come first, then priority, then the rest in
    issue order. ``fifo`` counters take the best over everything eligible; ``preference``
    counters take from their first service while anyone waits there (tickets pinned to
    the counter count as its first preference: a clerk sent them on purpose). After
    ``priority_streak_limit`` priority calls in a row an ordinary ticket is taken if one
    is eligible, so ordinary customers keep moving.
    """
    cfg = s.config.counters[counter]
    pinned = [s.tickets[tid] for tid, c in s.pins.items() if c == counter]
    tops = {sv: (_top(s, sv, True), _top(s, sv, False)) for sv in cfg.services}
    allow_priority = s.counters[counter].priority_streak < s.config.rules.priority_streak_limit
    if not allow_priority:
        others = [t for t in pinned if not _is_priority(t)]
        others += [t for f, o in tops.values() for t in (f, o) if t and not _is_priority(t)]
        allow_priority = not others  # nobody else waits: priority goes on

    def usable(t: Ticket | None) -> bool:
        return t is not None and (allow_priority or not _is_priority(t))

    best_pinned = min((t for t in pinned if usable(t)), key=Ticket.key, default=None)
    per_service: list[Ticket] = []
    for sv in cfg.services:
        front, ordinary = tops[sv]
        pick = front if usable(front) else ordinary
        if pick is not None:
            per_service.append(pick)
    if cfg.policy == "preference":
        return best_pinned or (per_service[0] if per_service else None)
    cands = per_service + ([best_pinned] if best_pinned else [])
    return min(cands, key=Ticket.key, default=None)


def ahead_of(s: State, service: str, priority: str | None) -> int:
    """Customers of ``service`` who will be called before a ticket issued now.

    A new ordinary ticket has the highest key, so everyone unpinned is ahead; a new
    priority ticket is behind the (few) reinstated and priority tickets only.
    """
    queue = s.waiting[service]
    if not priority:
        return len(queue) - sum(1 for tid in s.pins if tid in queue)
    return len({tid for key, tid in s.heaps[service][0] if is_live(s, service, (key, tid))})


def open_counters(s: State, service: str) -> list[CounterState]:
    return [
        s.counters[cid] for cid in s.config.counters_for(service)
        if s.counters[cid].status == OPEN
    ]


def wait_minutes(s: State, service: str, ahead: int, open_now: int | None = None) -> int:
    """A rough estimate: the people ahead, shared by the open counters of the service
    (``open_now`` of them, when the caller has already counted)."""
    if ahead <= 0:
        return 0
    if open_now is None:
        open_now = len(open_counters(s, service))
    return math.ceil(ahead * s.config.services[service].avg_minutes / max(1, open_now))
