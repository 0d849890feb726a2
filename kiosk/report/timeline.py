"""One business day's events replayed into what the figures are made of: each ticket's
life, each counter's states and customers, and each service's queue length over time.

Pure, like the core: events in, records out, no clock and no I/O.

Time (why it is not simply ``ts``):

* Events are taken in ``seq`` order, the order they happened in. A timestamp that steps
  back (NTP stepping a fast clock back) is held at the latest time already seen, so time
  never runs backwards: no duration is negative; a stretch measured across the step is
  shortened by the step rather than lengthened. Every instant is also kept inside the
  business day's window (its first opening to the next day's), so no duration exceeds
  one business day.
* Events of a day that a wrong clock started and a ``clock_corrected`` event later undid
  (its ``from_day``) belong to the day that corrected them, but their timestamps are off
  by an unknown amount: they count (issued, served, no-show, ratings), they are never
  used to measure a duration, and the correction's moment stands in for them where an
  instant is needed (a carried customer waits in the queue from then on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import events as ev
from kiosk.config_model import Config
from kiosk.core import hours

OPEN = "open"
Span = tuple[datetime, datetime]


@dataclass(slots=True)
class Transfer:
    at: datetime | None
    ticket: str
    from_service: str
    to_service: str
    from_counter: int | None
    to_counter: int | None
    rewait_s: float | None = None  # transfer -> the next call
    stand_in: datetime | None = None  # for a wrong-clock transfer: the correction's moment


@dataclass(slots=True)
class TicketLife:
    day: str
    id: str
    service: str  # the service it was issued for
    priority: str | None = None
    issued: datetime | None = None  # None: issued under a wrong clock, or not in the log
    issued_seen: bool = False  # its ``issued`` event is in the data (counts as issued)
    queue_since: datetime | None = None
    waiting_for: str | None = None  # the service whose queue it is in now
    first_call: datetime | None = None
    called: bool = False
    first_counter: int | None = None  # the counter that called it first
    wait_s: float | None = None  # issue -> first call; None when it cannot be measured
    leg: tuple[int, datetime | None, str] | None = None  # (counter, call time, service)
    outcome: str = "waiting"  # waiting, called, served, no_show
    end: datetime | None = None  # finish or no-show
    end_counter: int | None = None
    end_service: str | None = None
    service_s: float | None = None  # last call -> finish
    after_closing: bool = False
    reinstated: int = 0
    transfer: Transfer | None = None  # the last transfer, until the next call
    rating: str | None = None
    rated_at: datetime | None = None
    rated_counter: int | None = None
    # for a ticket of a wrong-clock day: the correction's moment, where an instant is
    # needed to place a figure in a shift (its own times are unknown)
    stand_in: datetime | None = None

    def when(self, instant: datetime | None) -> datetime | None:
        return instant or self.stand_in


@dataclass(slots=True)
class CounterSpan:
    counter: int
    status: str  # open, paused, closed
    reason: str | None
    start: datetime
    end: datetime


@dataclass(slots=True)
class Busy:
    counter: int
    service: str
    start: datetime
    end: datetime


@dataclass(slots=True)
class DayLife:
    day: str
    business: list[Span]  # the published opening hours of the day, as instants
    window: Span
    horizon: datetime  # where the record stops: closing, the last event, or now
    tickets: list[TicketLife] = field(default_factory=list)
    counters: list[CounterSpan] = field(default_factory=list)
    busy: list[Busy] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    stranded: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    # service -> [(instant, customers waiting from then on)]
    queue: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    waiting: list[tuple[datetime, int]] = field(default_factory=list)  # all services

    @property
    def closing(self) -> datetime | None:
        return self.business[-1][1] if self.business else None


def _at(d: date, t: time | None, tz: ZoneInfo) -> datetime:
    if t is None:
        return datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(d, t, tzinfo=tz)


class _Replay:
    def __init__(self, day: str, config: Config) -> None:
        tz = config.branch.tz
        d = date.fromisoformat(day)
        self.cfg = config
        self.life = DayLife(
            day, [(_at(d, s, tz), _at(d, e, tz)) for s, e in config.hours.intervals(d)],
            hours.day_window(config.hours, tz, d), datetime.min.replace(tzinfo=tz))
        w0, self.end = self.life.window
        self.last: datetime = w0
        self.tickets: dict[str, TicketLife] = {}  # the queue's view of this day
        self.wrong: dict[str, TicketLife] = {}  # tickets of a wrong-clock day
        self.unplaced: list[TicketLife | Transfer] = []  # wrong-clock, awaiting a stand-in
        self.status: dict[int, tuple[str, str | None, datetime]] = {
            cid: (c.start, None, w0) for cid, c in config.counters.items()}
        self.waiting = {s: 0 for s in config.services}
        self.total = 0
        self.stranded_since: dict[str, datetime | None] = dict.fromkeys(config.services)
        self.open = {s: sum(1 for c in config.counters_for(s) if self.status[c][0] == OPEN)
                     for s in config.services}  # open counters per service
        self.life.queue = {s: [(w0, 0)] for s in config.services}

    # --- time ------------------------------------------------------------------------

    def instant(self, ts: str) -> datetime:
        t = datetime.fromisoformat(ts)
        if t < self.last:  # a step back (``last`` starts at the window's start)
            t = self.last
        elif t > self.end:
            t = self.end
        self.last = t
        return t

    # --- queues and counters -----------------------------------------------------------

    def _queue(self, service: str | None, delta: int, t: datetime) -> None:
        if service not in self.waiting:
            return  # a service no longer in the config
        self.waiting[service] += delta
        self.total += delta
        self.life.waiting.append((t, self.total))
        self.stranded(service, t)
        steps = self.life.queue[service]
        if steps[-1][0] == t:
            steps[-1] = (t, self.waiting[service])
        else:
            steps.append((t, self.waiting[service]))

    def enqueue(self, tk: TicketLife, service: str, t: datetime) -> None:
        tk.outcome, tk.waiting_for, tk.queue_since = "waiting", service, t
        self._queue(service, +1, t)

    def dequeue(self, tk: TicketLife, t: datetime) -> None:
        if tk.outcome == "waiting" and tk.waiting_for is not None and tk.queue_since:
            self._queue(tk.waiting_for, -1, t)
        tk.waiting_for = None

    def set_status(self, cid: int | None, status: str, reason: str | None, t: datetime) -> None:
        if cid not in self.status:
            return
        old, old_reason, since = self.status[cid]
        if t > since:
            self.life.counters.append(CounterSpan(cid, old, old_reason, since, t))
        self.status[cid] = (status, reason, t)
        change = (status == OPEN) - (old == OPEN)
        if change:
            for service in self.cfg.counters[cid].services:
                if service in self.open:
                    self.open[service] += change
                    self.stranded(service, t)

    def end_leg(self, tk: TicketLife, t: datetime) -> datetime | None:
        """Close the ticket's stretch at a counter; return when it began (None: unknown)."""
        if tk.leg is None:
            return None
        cid, start, service = tk.leg
        tk.leg = None
        if start is not None and t > start:
            self.life.busy.append(Busy(cid, service, start, t))
        return start

    def stranded(self, service: str, t: datetime) -> None:
        """Start or end a stretch of "customers waiting, no counter open" for ``service``."""
        since = self.stranded_since[service]
        now = self.waiting[service] > 0 and self.open[service] == 0
        if now and since is None:
            self.stranded_since[service] = t
        elif not now and since is not None:
            if t > since:
                self.life.stranded.append((service, since, t))
            self.stranded_since[service] = None

    # --- events ----------------------------------------------------------------------

    def ticket(self, book: dict[str, TicketLife], e: Mapping[str, Any]) -> TicketLife:
        tid = e.get("ticket") or ""
        tk = book.get(tid)
        if tk is None:  # its issue is not in the data (lost, or before a correction)
            tk = book[tid] = TicketLife(self.life.day, tid, e.get("service") or "")
            self.life.tickets.append(tk)
            if book is self.wrong:
                self.unplaced.append(tk)
        return tk

    def wrong_clock(self, e: Mapping[str, Any]) -> None:
        """An event of a day a wrong clock started: it counts, it is never timed."""
        kind, data = e["type"], e.get("data") or {}
        if kind == ev.ISSUED:
            tk = TicketLife(self.life.day, e["ticket"], e.get("service") or "",
                            data.get("priority"), issued_seen=True)
            self.wrong[tk.id] = tk
            self.life.tickets.append(tk)
            self.unplaced.append(tk)
            return
        if kind not in (ev.CALLED, ev.NO_SHOW, ev.FINISHED, ev.REINSTATED, ev.TRANSFERRED,
                        ev.RATED):
            return
        tk = self.ticket(self.wrong, e)
        if kind == ev.CALLED:
            tk.outcome, tk.leg = "called", (e["counter"], None, e.get("service") or "")
            if not tk.called:
                tk.called, tk.first_counter = True, e.get("counter")
        elif kind in (ev.NO_SHOW, ev.FINISHED):
            tk.leg = None
            tk.outcome = "served" if kind == ev.FINISHED else "no_show"
            tk.end_counter, tk.end_service = e.get("counter"), e.get("service")
        elif kind == ev.REINSTATED:
            tk.outcome, tk.reinstated = "waiting", tk.reinstated + 1
        elif kind == ev.TRANSFERRED:
            tk.leg, tk.outcome = None, "waiting"
            tr = Transfer(None, tk.id, data["from_service"], data["to_service"],
                          data.get("from_counter"), data.get("to_counter"))
            self.life.transfers.append(tr)
            self.unplaced.append(tr)
        else:
            tk.rating, tk.rated_counter = data.get("score"), e.get("counter")

    def apply(self, e: Mapping[str, Any]) -> None:
        kind, data = e["type"], e.get("data") or {}
        t = self.instant(e["ts"])
        cid = e.get("counter")
        if kind == ev.ISSUED:
            old = self.tickets.get(e["ticket"])
            if old is not None and old.outcome == "waiting":
                self.dequeue(old, t)
            tk = TicketLife(self.life.day, e["ticket"], e.get("service") or "",
                            data.get("priority"), issued=t, issued_seen=True)
            self.tickets[tk.id] = tk
            self.life.tickets.append(tk)
            self.enqueue(tk, tk.service, t)
        elif kind == ev.CALLED:
            tk = self.ticket(self.tickets, e)
            self.dequeue(tk, t)
            if not tk.called:
                tk.called, tk.first_call, tk.first_counter = True, t, cid
                tk.wait_s = (t - tk.issued).total_seconds() if tk.issued else None
            if tk.transfer is not None:
                if tk.transfer.at is not None:
                    tk.transfer.rewait_s = (t - tk.transfer.at).total_seconds()
                tk.transfer = None
            tk.outcome, tk.leg = "called", (cid or 0, t, e.get("service") or tk.service)
        elif kind in (ev.FINISHED, ev.NO_SHOW):
            tk = self.ticket(self.tickets, e)
            start = self.end_leg(tk, t)
            tk.outcome = "served" if kind == ev.FINISHED else "no_show"
            tk.end, tk.end_counter, tk.end_service = t, cid, e.get("service") or tk.service
            if kind == ev.FINISHED:
                tk.service_s = (t - start).total_seconds() if start else None
                closing = self.life.closing
                tk.after_closing = closing is not None and t > closing
        elif kind == ev.REINSTATED:
            tk = self.ticket(self.tickets, e)
            tk.reinstated += 1
            self.enqueue(tk, e.get("service") or tk.service, t)
        elif kind == ev.TRANSFERRED:
            tk = self.ticket(self.tickets, e)
            self.end_leg(tk, t)
            tr = Transfer(t, tk.id, data["from_service"], data["to_service"],
                          data.get("from_counter"), data.get("to_counter"))
            tk.transfer = tr
            self.life.transfers.append(tr)
            self.enqueue(tk, data["to_service"], t)
        elif kind in (ev.PAUSED, ev.CLOSED):
            self.set_status(cid, "paused" if kind == ev.PAUSED else "closed",
                            data.get("reason"), t)
        elif kind in (ev.RESUMED, ev.OPENED):
            self.set_status(cid, OPEN, None, t)
        elif kind == ev.RATED:
            tk = self.ticket(self.tickets, e)
            tk.rating, tk.rated_at, tk.rated_counter = data.get("score"), t, cid
        elif kind == ev.CLOCK_CORRECTED:
            self.correct(data, t)


    def correct(self, data: Mapping[str, Any], t: datetime) -> None:
        """The hall as the wrong-clock day left it, from the correction's moment on."""
        for item in self.unplaced:
            item.stand_in = t
        self.unplaced.clear()
        for tk in self.tickets.values():
            if tk.leg is not None:  # the core takes every counter's customer off it
                self.end_leg(tk, t)
        for rec in data.get("counters", ()):
            self.set_status(rec.get("id"), rec.get("status", OPEN), rec.get("reason"), t)
        for rec in data.get("carried", ()):
            found = self.wrong.pop(rec["id"], None)
            if found is not None:
                tk = found
            else:
                tk = TicketLife(self.life.day, rec["id"], rec.get("service") or "",
                                rec.get("priority"), stand_in=t)
                self.life.tickets.append(tk)
            self.tickets[tk.id] = tk
            if rec.get("status") == "called" and rec.get("counter") in self.status:
                tk.outcome, tk.called = "called", True
                tk.leg = (rec["counter"], None, rec["service"])  # began under the wrong clock
            else:
                self.enqueue(tk, rec["service"], t)

    def finish(self, now: datetime | None) -> DayLife:
        life = self.life
        w1 = life.window[1]
        if now is not None and now < w1:
            horizon = max(now, self.last)  # the day is still running
        else:
            horizon = max(life.closing or self.last, self.last)
        life.horizon = horizon
        for tk in self.tickets.values():
            if tk.leg is not None:
                cid, start, service = tk.leg
                if start is not None and horizon > start:
                    life.busy.append(Busy(cid, service, start, horizon))
        for cid, (status, reason, since) in self.status.items():
            if horizon > since:
                life.counters.append(CounterSpan(cid, status, reason, since, horizon))
        for service, began in self.stranded_since.items():
            if began is not None and horizon > began:
                life.stranded.append((service, began, horizon))
        return life


def replay_day(day: str, events: list[Mapping[str, Any]], config: Config,
               now: datetime | None = None) -> DayLife:
    """The life of business ``day`` from its events in ``seq`` order. Events whose
    ``day`` differs are a wrong-clock day folded into this one (see the module doc).
    ``now``: the record of a day still running stops there."""
    r = _Replay(day, config)
    for e in events:
        if e.get("day") == day:
            r.apply(e)
        else:
            r.wrong_clock(e)
    return r.finish(now)
