"""Getting back on track after a wrong clock or a store that lost events. Pure.

Both rules end in one event whose ``floor`` makes numbering go on after every number a
customer may already hold, so no number of a day is ever issued twice:

* A synchronised clock that reads well before the current business day began means that
  day was started by a clock that had jumped forward (a wrong RTC, a bad time server, a
  typo in ``date -s``). :func:`day_correction` spots it; :func:`correct_day` moves the
  kiosk back into the right day, carrying the customers who are still in the hall and the
  counters as they stand now. The shell rebuilds the right day's state from its events
  (I/O), so this module only compares states.
* A store that is behind its high-water mark (a power cut that took the WAL, a restored
  old copy) lost tickets that were printed. :func:`restore_numbers` records that, and
  numbering goes on after the mark.

A small step back (NTP slewing across midnight) is not a correction: within
:data:`CORRECTION_GRACE` of the day's start, the current day is kept, as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kiosk import events as ev
from kiosk.core import hours
from kiosk.core.state import CALLED, WAITING, State
from kiosk.events import Event

CORRECTION_GRACE = timedelta(hours=1)


def day_correction(state: State, now: datetime, clock_synced: bool) -> str | None:
    """The business day to go back to, or None when the current day stands.

    >>> from kiosk import config
    >>> from kiosk.core.state import new_state
    >>> cfg = config.load()
    >>> s = new_state(cfg, "2030-06-01")
    >>> day_correction(s, datetime(2026, 11, 25, 10, 0, tzinfo=cfg.branch.tz), True)
    '2026-11-25'
    >>> day_correction(s, datetime(2026, 11, 25, 10, 0, tzinfo=cfg.branch.tz), False) is None
    True
    """
    if not clock_synced or state.day is None or state.window is None:
        return None  # never move days on a clock we cannot trust
    tz = state.config.branch.tz
    local = now.astimezone(tz)
    if local >= state.window[0] - CORRECTION_GRACE:
        return None
    target = hours.business_day(state.config.hours, tz, local).isoformat()
    return target if target < state.day else None


def _floor(*states: State) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in states:
        for prefix, n in s.last_number.items():
            out[prefix] = max(out.get(prefix, 0), n)
    return out


def correct_day(wrong: State, right: State, now: datetime) -> list[Event]:
    """The ``clock_corrected`` event that takes the kiosk from ``wrong`` back to ``right``.

    ``right`` is the state of the right day rebuilt from that day's events (an empty
    state of that day when it has none). Tickets still waiting or being served in the
    wrong day are carried over after that day's own tickets, in their queue order; one
    whose number clashes with a ticket of the right day that is still in the queue stays
    out and is listed in ``not_carried`` for IT.
    """
    assert right.day is not None and wrong.day is not None
    live = {WAITING, CALLED}
    carried: list[dict[str, Any]] = []
    not_carried: list[str] = []
    for t in sorted(wrong.tickets.values(), key=lambda t: (t.status != CALLED, t.key())):
        if t.status not in live:
            continue
        clash = right.tickets.get(t.id)
        if clash is not None and clash.status in live:
            not_carried.append(t.id)
            continue
        carried.append({"id": t.id, "service": t.service, "number": t.number,
                        "priority": t.priority, "issued_at": t.issued_at, "status": t.status,
                        "counter": t.counter, "pinned": t.pinned, "recalls": t.recalls,
                        "head": t.head is not None})
    counters = [{"id": cs.id, "status": cs.status, "reason": cs.reason,
                 "redirect": cs.redirect} for cs in wrong.counters.values()]
    local = now.astimezone(right.config.branch.tz)
    return [Event(ev.CLOCK_CORRECTED, local.isoformat(), right.day, source="system",
                  data={"from_day": wrong.day, "floor": _floor(wrong, right),
                        "carried": carried, "not_carried": not_carried,
                        "counters": counters})]


def restore_numbers(state: State, day: str, floor: dict[str, int], now: datetime, *,
                    mark_seq: int, store_seq: int) -> list[Event]:
    """The ``numbers_restored`` event for a store found behind its high-water mark.

    Only prefixes this branch still offers are kept: a service removed from the config
    has no queue to continue.
    """
    known = {p: int(n) for p, n in floor.items() if p in state.config.services}
    local = now.astimezone(state.config.branch.tz)
    return [Event(ev.NUMBERS_RESTORED, local.isoformat(), day, source="system",
                  data={"floor": known, "mark_seq": mark_seq, "store_seq": store_seq})]


__all__ = ["CORRECTION_GRACE", "correct_day", "day_correction", "restore_numbers"]
