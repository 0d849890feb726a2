"""Who is next: eligibility, ordering, queue positions and wait estimates. Pure."""

from __future__ import annotations

import math
from collections.abc import Iterator

from kiosk.core.state import OPEN, CounterState, State, Ticket


def eligible(s: State, counter: int) -> Iterator[Ticket]:
    """Waiting tickets this counter may call: pinned to it, or of a service it serves
    and not pinned elsewhere."""
    served = s.config.counters[counter].services
    for service, queue in s.waiting.items():
        mine = service in served
        for t in queue.values():
            if t.pinned == counter or (mine and t.pinned is None):
                yield t


def pick_next(s: State, counter: int) -> Ticket | None:
    """The ticket ``counter`` calls next, or None when nobody waits for it.

    ``fifo`` counters take the best key over everything they may call; ``preference``
    counters take from their first service while anyone waits there (tickets pinned to
    the counter count as its first preference: a clerk sent them on purpose). Priority
    tickets go first, but after ``priority_streak_limit`` priority calls in a row an
    ordinary ticket is taken if one waits, so ordinary customers keep moving.
    """
    cands = list(eligible(s, counter))
    if not cands:
        return None
    cfg = s.config.counters[counter]
    if s.counters[counter].priority_streak >= s.config.rules.priority_streak_limit:
        # Only ordinary tickets without head (reinstated) may be demoted from priority
        # tier; if none waits, priority continues rather than leaving the counter idle.
        ordinary = [t for t in cands if not (t.priority and t.head is None)]
        if ordinary:
            cands = ordinary
    if cfg.policy == "preference":
        pinned = [t for t in cands if t.pinned == counter]
        if pinned:
            return min(pinned, key=Ticket.key)
        for service in cfg.services:
            group = [t for t in cands if t.service == service]
            if group:
                return min(group, key=Ticket.key)
    return min(cands, key=Ticket.key)


def ahead_of(s: State, ticket: Ticket) -> int:
    """Customers of the same service who will be called before ``ticket``."""
    k = ticket.key()
    return sum(
        1 for t in s.waiting[ticket.service].values()
        if t.id != ticket.id and t.key() < k and t.pinned is None
    )


def open_counters(s: State, service: str) -> list[CounterState]:
    return [
        s.counters[cid] for cid in s.config.counters_for(service)
        if s.counters[cid].status == OPEN
    ]


def wait_minutes(s: State, service: str, ahead: int) -> int:
    """A rough estimate: the people ahead, shared by the open counters of the service."""
    if ahead <= 0:
        return 0
    servers = max(1, len(open_counters(s, service)))
    return math.ceil(ahead * s.config.services[service].avg_minutes / servers)
