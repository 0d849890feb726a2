"""``decide(state, command, now)``: the queue rules. Pure: no I/O, no clock reads.

It returns the events that would happen, or a :class:`Rejected`: a code and the
parameters of its courteous bilingual message, which the shell words with
:func:`kiosk.messages.rejection`. It never changes ``state``; the caller commits the
events and then applies them with :func:`kiosk.core.state.apply`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk import commands as c
from kiosk import events as ev
from kiosk.config_model import Service
from kiosk.core import hours, queue
from kiosk.core.state import (
    CLOSED,
    NO_SHOW,
    OPEN,
    PAUSED,
    WAITING,
    CounterState,
    State,
    Ticket,
    new_state,
)
from kiosk.events import Event

DEVICE_STATUSES = ("ok", "paper_low", "paper_out", "cover_open", "offline", "error", "absent")
SCORES = ("good", "fair", "poor")
MAX_REASON_CHARS = 40
DEVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}")
MAX_DEVICES = 32
MAX_DETAIL_CHARS = 200


@dataclass(frozen=True, slots=True)
class Rejected:
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class _Reject(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        self.rejected = Rejected(code, params)


class _Ctx:
    """What every handler needs. A plain slotted class: built once per command, so its
    construction cost matters more than frozen-ness (it never leaves ``decide``)."""

    __slots__ = ("day", "now", "s", "source", "ts")

    def __init__(self, s: State, now: datetime, ts: str, day: str, source: str) -> None:
        self.s, self.now, self.ts, self.day, self.source = s, now, ts, day, source

    def event(self, kind: str, **kw: Any) -> Event:
        return Event(type=kind, ts=self.ts, day=self.day, source=self.source, **kw)


def decide(state: State, cmd: c.Command, now: datetime, *, clock_synced: bool = True,
           source: str = "system") -> list[Event] | Rejected:
    """Decide what ``cmd`` means at ``now``.

    A command that arrives in a later business day first starts that day (a
    ``day_started`` event), but only from a synchronised clock: a day is never started
    from a clock we cannot trust, and a clock that steps back never reopens an earlier
    day. Numbers come from the events, never from the clock, so they cannot repeat.
    """
    cfg = state.config
    tz = cfg.branch.tz
    local = now if now.tzinfo is tz else now.astimezone(tz)
    w = state.window
    target: str
    if w is not None and state.day is not None and w[0] <= local < w[1]:
        target = state.day
    else:
        target = hours.business_day(cfg.hours, tz, local).isoformat()
    ts = local.isoformat()
    prefix: list[Event] = []
    s = state
    if state.day is None or target > state.day:
        if clock_synced:
            s = new_state(cfg, target, state.devices)
            prefix.append(Event(ev.DAY_STARTED, ts, target, source="system"))
        elif isinstance(cmd, c.Issue):
            return Rejected("clock_unsynced")
    ctx = _Ctx(s, local, ts, s.day or "", source)
    handler = _HANDLERS.get(type(cmd))
    if handler is None:
        return Rejected("bad_command", {"detail": type(cmd).__name__})
    try:
        out = handler(ctx, cmd)
    except _Reject as r:
        return r.rejected
    return prefix + out if out else out


# ------------------------------------------------------------------ helpers


def _counter(ctx: _Ctx, cid: int, *, must_be_open: bool = False) -> CounterState:
    cs = ctx.s.counters.get(cid)
    if cs is None:
        raise _Reject("no_such_counter", counter=cid)
    if must_be_open and cs.status == PAUSED:
        raise _Reject("counter_paused", counter=cid)
    if must_be_open and cs.status == CLOSED:
        raise _Reject("counter_closed", counter=cid)
    return cs


def _current(ctx: _Ctx, cid: int) -> Ticket:
    cs = _counter(ctx, cid)
    if cs.current is None:
        raise _Reject("no_current_ticket", counter=cid)
    return ctx.s.tickets[cs.current]


def _service(ctx: _Ctx, prefix: str) -> Service:
    svc = ctx.s.config.services.get(prefix)
    if svc is None:
        raise _Reject("no_such_service", service=prefix)
    return svc


def _service_closed(ctx: _Ctx, prefix: str) -> bool:
    return all(ctx.s.counters[cid].status == CLOSED for cid in ctx.s.config.counters_for(prefix))


def _stranded(ctx: _Ctx, leaving: int) -> list[str]:
    """Services that would have waiting customers and no open counter once ``leaving`` stops."""
    out = []
    for prefix in ctx.s.config.counters[leaving].services:
        if not ctx.s.waiting[prefix]:
            continue
        others = [cs for cs in queue.open_counters(ctx.s, prefix) if cs.id != leaving]
        if not others:
            out.append(prefix)
    return out


# ------------------------------------------------------------------ handlers


def _issue(ctx: _Ctx, cmd: c.Issue) -> list[Event]:
    s, cfg = ctx.s, ctx.s.config
    svc = _service(ctx, cmd.service)
    if cmd.priority is not None and cmd.priority not in cfg.rules.priority_reasons:
        raise _Reject("priority_reason_invalid", allowed="/".join(cfg.rules.priority_reasons))
    if not hours.is_open(cfg.hours, cfg.branch.tz, ctx.now):
        nxt = hours.next_opening(cfg.hours, cfg.branch.tz, ctx.now)
        if nxt is None:
            raise _Reject("no_opening_soon")
        zh, en = hours.describe_opening(nxt, ctx.now, cfg.branch.tz)
        raise _Reject("outside_hours", next_open_zh=zh, next_open_en=en,
                      next_open=nxt.isoformat())
    if _service_closed(ctx, svc.prefix):
        raise _Reject("service_closed", service_zh=svc.name_zh, service_en=svc.name_en)
    number = s.last_number[svc.prefix] + 1
    ticket_id = f"{svc.prefix}{number:0{cfg.rules.number_digits}d}"
    ahead = queue.ahead_of(s, svc.prefix, cmd.priority)
    return [ctx.event(
        ev.ISSUED, ticket=ticket_id, service=svc.prefix,
        data={"number": number, "priority": cmd.priority, "ahead": ahead,
              "wait_minutes": queue.wait_minutes(s, svc.prefix, ahead),
              "service_zh": svc.name_zh, "service_en": svc.name_en},
    )]


def _call_next(ctx: _Ctx, cmd: c.CallNext) -> list[Event]:
    cs = _counter(ctx, cmd.counter, must_be_open=True)
    out: list[Event] = []
    if cs.current is not None:  # "next" means the current customer is done
        cur = ctx.s.tickets[cs.current]
        out.append(ctx.event(ev.FINISHED, ticket=cur.id, service=cur.service, counter=cs.id))
    nxt = queue.pick_next(ctx.s, cs.id)
    if nxt is None:
        if out:
            return out
        raise _Reject("queue_empty", counter=cs.id)
    out.append(ctx.event(ev.CALLED, ticket=nxt.id, service=nxt.service, counter=cs.id,
                         data={"priority": nxt.priority}))
    return out


def _recall(ctx: _Ctx, cmd: c.Recall) -> list[Event]:
    t = _current(ctx, cmd.counter)
    if t.recalls >= ctx.s.config.rules.max_recalls:
        return [ctx.event(ev.NO_SHOW, ticket=t.id, service=t.service, counter=cmd.counter,
                          data={"why": "recall_limit"})]
    return [ctx.event(ev.RECALLED, ticket=t.id, service=t.service, counter=cmd.counter,
                      data={"recalls": t.recalls + 1})]


def _no_show(ctx: _Ctx, cmd: c.NoShow) -> list[Event]:
    t = _current(ctx, cmd.counter)
    return [ctx.event(ev.NO_SHOW, ticket=t.id, service=t.service, counter=cmd.counter,
                      data={"why": "clerk"})]


def _finish(ctx: _Ctx, cmd: c.Finish) -> list[Event]:
    t = _current(ctx, cmd.counter)
    return [ctx.event(ev.FINISHED, ticket=t.id, service=t.service, counter=cmd.counter)]


def _reinstate(ctx: _Ctx, cmd: c.Reinstate) -> list[Event]:
    t = ctx.s.tickets.get(cmd.ticket.strip().upper())
    if t is None:
        raise _Reject("no_such_ticket", ticket=cmd.ticket)
    if t.status != NO_SHOW:
        raise _Reject("not_no_show", ticket=t.id)
    return [ctx.event(ev.REINSTATED, ticket=t.id, service=t.service)]


def _transfer(ctx: _Ctx, cmd: c.Transfer) -> list[Event]:
    if (cmd.to_service is None) == (cmd.to_counter is None):
        raise _Reject("transfer_target_missing")
    t = _current(ctx, cmd.counter)
    to_service, to_counter = t.service, None
    if cmd.to_service is not None:
        svc = _service(ctx, cmd.to_service)
        if svc.prefix == t.service:
            raise _Reject("transfer_same", ticket=t.id)
        if _service_closed(ctx, svc.prefix):
            raise _Reject("service_closed", service_zh=svc.name_zh, service_en=svc.name_en)
        to_service = svc.prefix
    else:
        assert cmd.to_counter is not None  # checked above: exactly one target is given
        target = _counter(ctx, cmd.to_counter)
        if target.id == cmd.counter:
            raise _Reject("transfer_same", ticket=t.id)
        if target.status != OPEN:
            raise _Reject("transfer_target_not_open", target=target.id)
        to_counter = target.id
    return [ctx.event(ev.TRANSFERRED, ticket=t.id, service=to_service, counter=cmd.counter,
                      data={"from_service": t.service, "to_service": to_service,
                            "from_counter": cmd.counter, "to_counter": to_counter})]


def _stop(kind: str) -> Callable[[_Ctx, Any], list[Event]]:
    """Pause and close share their rules: never while serving, and say who is stranded."""

    def handler(ctx: _Ctx, cmd: c.Pause | c.Close) -> list[Event]:
        cs = _counter(ctx, cmd.counter)
        if cs.status == CLOSED:
            raise _Reject("already_closed" if kind == ev.CLOSED else "counter_closed",
                          counter=cs.id)
        if cs.status == PAUSED and kind == ev.PAUSED:
            raise _Reject("already_paused", counter=cs.id)
        if cs.current is not None:
            raise _Reject("counter_busy", counter=cs.id, ticket=cs.current)
        reason = redirect = None
        if isinstance(cmd, c.Pause):
            reason = (cmd.reason or "").strip()[:MAX_REASON_CHARS] or None
            if cmd.redirect is not None:
                target = ctx.s.counters.get(cmd.redirect)
                if target is None or target.id == cs.id or target.status != OPEN:
                    raise _Reject("redirect_invalid", redirect=cmd.redirect)
                redirect = target.id
        repinned = sorted(tid for tid, pin in ctx.s.pins.items() if pin == cs.id)
        return [ctx.event(kind, counter=cs.id,
                          data={"reason": reason, "redirect": redirect,
                                "stranded": _stranded(ctx, cs.id), "repinned": repinned})]

    return handler


def _resume(ctx: _Ctx, cmd: c.Resume) -> list[Event]:
    cs = _counter(ctx, cmd.counter)
    if cs.status != PAUSED:
        raise _Reject("not_paused", counter=cs.id)
    return [ctx.event(ev.RESUMED, counter=cs.id)]


def _open(ctx: _Ctx, cmd: c.Open) -> list[Event]:
    cs = _counter(ctx, cmd.counter)
    if cs.status == OPEN:
        raise _Reject("already_open", counter=cs.id)
    return [ctx.event(ev.OPENED, counter=cs.id)]


def _report_device(ctx: _Ctx, cmd: c.ReportDevice) -> list[Event]:
    # Every status reply and MQTT state message carries all devices: bound their number
    # and size, so no reporter can make those grow without limit.
    if not DEVICE_NAME.fullmatch(cmd.device):
        raise _Reject("bad_device_name")
    if cmd.status not in DEVICE_STATUSES:
        raise _Reject("bad_device_status", status=str(cmd.status)[:20])
    known = ctx.s.devices.get(cmd.device)
    if known is None and len(ctx.s.devices) >= MAX_DEVICES:
        raise _Reject("too_many_devices", limit=MAX_DEVICES)
    detail = str(cmd.detail or "")[:MAX_DETAIL_CHARS]
    # A ticket the device could not handle is news even when the status is not: each
    # one is a customer who needs their number from the screen or from staff.
    ticket = str(cmd.ticket)[:c.TEXT_MAX] if cmd.ticket else None
    if ticket is None and known == {"status": cmd.status, "detail": detail}:
        return []  # only changes become events
    return [ctx.event(ev.DEVICE_STATUS, ticket=ticket,
                      data={"device": cmd.device, "status": cmd.status, "detail": detail})]


def _position(s: State, t: Ticket) -> int:
    """Customers who will be called before ``t`` (0 once it is no longer waiting)."""
    if t.status != WAITING:
        return 0
    key = t.key()
    return sum(1 for o in s.waiting[t.service].values()
               if o.pinned == t.pinned and o.key() < key)


def _reprint(ctx: _Ctx, cmd: c.Reprint) -> list[Event]:
    s = ctx.s
    if cmd.ticket is None:
        if s.last_issued is None:
            raise _Reject("nothing_to_reprint")
        t = s.tickets[s.last_issued]
    else:
        found = s.tickets.get(cmd.ticket.strip().upper())
        if found is None:
            raise _Reject("no_such_ticket", ticket=cmd.ticket)
        t = found
    svc = s.config.services.get(t.service)
    ahead = _position(s, t)
    return [ctx.event(
        ev.REPRINTED, ticket=t.id, service=t.service,
        data={"number": t.number, "priority": t.priority, "issued_at": t.issued_at,
              "service_zh": svc.name_zh if svc else t.service,
              "service_en": svc.name_en if svc else t.service,
              "ahead": ahead,
              "wait_minutes": queue.wait_minutes(s, t.service, ahead) if svc else 0,
              "status": t.status},
    )]


def _rate(ctx: _Ctx, cmd: c.Rate) -> list[Event]:
    if cmd.score not in SCORES:
        raise _Reject("bad_score")
    cs = _counter(ctx, cmd.counter)
    if cs.last_finished is None or cs.last_finished_at is None:
        raise _Reject("no_recent_ticket")
    age = (ctx.now - datetime.fromisoformat(cs.last_finished_at)).total_seconds()
    if not 0 <= age <= ctx.s.config.rules.rating_window_s:
        raise _Reject("no_recent_ticket")
    if cs.last_finished in ctx.s.rated:
        raise _Reject("already_rated")
    t = ctx.s.tickets[cs.last_finished]
    return [ctx.event(ev.RATED, ticket=t.id, service=t.service, counter=cs.id,
                      data={"score": cmd.score})]


_HANDLERS: dict[type, Callable[[_Ctx, Any], list[Event]]] = {
    c.Issue: _issue, c.CallNext: _call_next, c.Recall: _recall, c.NoShow: _no_show,
    c.Finish: _finish, c.Reinstate: _reinstate, c.Transfer: _transfer,
    c.Pause: _stop(ev.PAUSED), c.Close: _stop(ev.CLOSED), c.Resume: _resume, c.Open: _open,
    c.ReportDevice: _report_device, c.Reprint: _reprint, c.Rate: _rate,
}

__all__ = ["DEVICE_STATUSES", "SCORES", "Rejected", "decide"]
