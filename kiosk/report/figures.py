"""Service-quality figures for a period, computed from the event log alone.

:func:`summary` is the entry point for everything that shows figures (``kiosk report``,
the staff panel, the daily MQTT summary): events in, a JSON-able dict out. Pure.

What each figure counts (docs/reports.md says the same for branch managers):

* **issued** - ``issued`` events, by the service issued for. **served** - tickets
  finished, by the service and counter that finished them (a transferred ticket is
  served by the service it was transferred to). **no-show** - tickets whose last outcome
  is a no-show: one reinstated and then served is served, not a no-show.
  **unserved** - still waiting (or still at a counter) when the day's record stops.
* **wait** - issue to the *first* call: a recall does not extend it, a no-show that is
  reinstated and called again keeps its first wait, and the wait after a transfer is a
  separate figure (``transfers.rewait``). By the service issued for, and the counter
  that called. A wait that cannot be measured (issued under a wrong clock) is counted in
  ``untimed`` and left out of the averages.
* **service** - the last call to the finish, by the finishing service and counter; a
  transferred ticket's first counter shows the first stretch as busy time, not here.
* **waited too long** - first waits over ``wait_threshold_min``, plus tickets never
  called whose time in the queue passed it.
* **pauses** - minutes a counter was paused within the published hours, by reason.
* **no open counter** - minutes within the published hours when a service had customers
  waiting and none of its counters open.
* **late** - at each published opening time a counter not open then, and opened (or
  resumed) later within that opening, more than ``late_grace_min`` late (准时满点).
* **utilisation** - time with a customer / time open within the hours (plus time with a
  customer outside them, so a counter finishing after closing stays <= 100 %).
* **satisfaction** - share of ``good``/``fair``/``poor`` among ratings; response rate =
  ratings / tickets served.

Durations are minutes, rounded to 0.01. Percentiles: the median is the usual one; p90
is nearest-rank (a wait some customer really had).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk import events as ev
from kiosk.config_model import Config
from kiosk.events import Event
from kiosk.report.periods import Period
from kiosk.report.timeline import DayLife, Span, TicketLife, replay_day
from kiosk.settings.report import ReportSettings

SCORES = ("good", "fair", "poor")
NO_REASON = "-"


def _min(seconds: float) -> float:
    return round(seconds / 60, 2)


def stats(seconds: list[float], *, with_max: bool = True) -> dict[str, Any]:
    """n, mean, median, p90 (nearest rank) and max of durations, in minutes."""
    if not seconds:
        out: dict[str, Any] = {"n": 0, "mean_min": None, "median_min": None, "p90_min": None}
        return out | ({"max_min": None} if with_max else {})
    ordered = sorted(seconds)
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    out = {"n": len(ordered), "mean_min": _min(statistics.fmean(ordered)),
           "median_min": _min(statistics.median(ordered)), "p90_min": _min(p90)}
    return out | ({"max_min": _min(ordered[-1])} if with_max else {})


def overlap(spans: Iterable[Span], within: Iterable[Span]) -> float:
    """Seconds of ``spans`` that fall inside ``within`` (each list without overlaps)."""
    limits = list(within)
    return sum(max(0.0, (min(e, we) - max(s, ws)).total_seconds())
               for s, e in spans for ws, we in limits)


def _as_dict(e: Mapping[str, Any] | Event) -> Mapping[str, Any]:
    return e.to_dict() if isinstance(e, Event) else e


def _seq(row: Mapping[str, Any]) -> int:
    return int(row.get("seq") or 0)


def split_days(events: Iterable[Mapping[str, Any] | Event],
               period: Period) -> dict[str, list[Mapping[str, Any]]]:
    """The period's events by business day, in ``seq`` order (when they have one), each
    wrong-clock day folded into the day that corrected it."""
    rows = [e if isinstance(e, dict) else _as_dict(e) for e in events]
    if rows and all(r.get("seq") is not None for r in (rows[0], rows[-1])):
        rows.sort(key=_seq)  # linear when already in order, as the store gives them
    fold: dict[str, str] = {}
    for r in rows:
        if r["type"] == ev.CLOCK_CORRECTED:
            fold.setdefault((r.get("data") or {}).get("from_day", ""), r["day"])
    days: dict[str, list[Mapping[str, Any]]] = {}
    first, last = period.span_iso
    for r in rows:
        own: str = r["day"]
        home = fold.get(own, own)
        if first <= home <= last:
            days.setdefault(home, []).append(r)
    return days


@dataclass(slots=True)
class Report:
    """The figures (``summary``) and the day lives the charts draw from."""

    summary: dict[str, Any]
    days: list[DayLife]
    period: Period


class _Acc:
    """Figures for one group (the whole branch, a service or a counter)."""

    def __init__(self) -> None:
        self.issued = self.served = self.no_show = self.unserved = 0
        self.reinstated = self.after_closing = self.over = self.untimed = 0
        self.waits: list[float] = []
        self.services: list[float] = []
        self.ratings: Tally[str] = Tally()
        self.priority: Tally[str] = Tally()

    def out(self, threshold_min: int) -> dict[str, Any]:
        rated = sum(self.ratings.values())
        return {
            "issued": self.issued, "served": self.served, "no_show": self.no_show,
            "unserved": self.unserved, "reinstated": self.reinstated,
            "served_after_closing": self.after_closing,
            "wait": stats(self.waits) | {"untimed": self.untimed},
            "service": stats(self.services, with_max=False),
            "waited_over_threshold": self.over, "threshold_min": threshold_min,
            "priority": {"count": sum(self.priority.values()),
                         "reasons": dict(sorted(self.priority.items()))},
            "ratings": {"count": rated, **{s: self.ratings[s] for s in SCORES},
                        "share": {s: round(self.ratings[s] / rated, 4) if rated else None
                                  for s in SCORES},
                        "response_rate": round(rated / self.served, 4) if self.served
                        else None},
        }


def _tickets(life: DayLife, period: Period, threshold_s: float,
             groups: dict[str, dict[Any, _Acc]], total: _Acc) -> None:
    made: dict[tuple[str | None, int | None], list[_Acc]] = {}

    def accs(service: str | None, counter: int | None) -> list[_Acc]:
        """The groups a figure of ``service`` at ``counter`` adds to (built once each)."""
        found = made.get((service, counter))
        if found is None:
            found = made[(service, counter)] = [total]
            if service in groups["services"]:
                found.append(groups["services"][service])
            if counter in groups["counters"]:
                found.append(groups["counters"][counter])
        return found

    day = life.day
    for tk in life.tickets:
        if tk.issued_seen and period.holds(day, tk.when(tk.issued)):
            for a in accs(tk.service, None):
                a.issued += 1
                if tk.priority:
                    a.priority[tk.priority] += 1
        if tk.called and period.holds(day, tk.when(tk.first_call)):
            for a in accs(tk.service, tk.first_counter):
                if tk.wait_s is None:
                    a.untimed += 1
                else:
                    a.waits.append(tk.wait_s)
                    a.over += tk.wait_s > threshold_s
        _outcome(life, tk, period, threshold_s, accs)
        if tk.rating in SCORES and period.holds(day, tk.when(tk.rated_at)):
            for a in accs(tk.end_service or tk.service, tk.rated_counter):
                a.ratings[tk.rating] += 1


def _outcome(life: DayLife, tk: TicketLife, period: Period, threshold_s: float,
             accs: Any) -> None:
    day = life.day
    if tk.outcome in ("served", "no_show") and period.holds(day, tk.when(tk.end)):
        for a in accs(tk.end_service or tk.service, tk.end_counter):
            if tk.outcome == "served":
                a.served += 1
                a.after_closing += tk.after_closing
                if tk.service_s is not None:
                    a.services.append(tk.service_s)
            else:
                a.no_show += 1
            a.reinstated += tk.reinstated > 0
    elif tk.outcome in ("waiting", "called") and period.holds(day, tk.when(tk.issued)):
        for a in accs(tk.waiting_for or tk.service, None):
            a.unserved += 1
            if not tk.called and tk.issued is not None:
                a.over += (life.horizon - tk.issued).total_seconds() > threshold_s


def _clip(spans: list[Span], period: Period) -> list[Span]:
    if period.start is None or period.end is None:
        return spans
    end = period.until or period.end
    return [(max(s, period.start), min(e, end)) for s, e in spans
            if e > period.start and s < end]


def _counters(lives: list[DayLife], period: Period, config: Config, grace_s: float,
              groups: dict[str, dict[Any, _Acc]]) -> tuple[dict[int, dict[str, Any]],
                                                           list[dict[str, Any]],
                                                           list[dict[str, Any]]]:
    out: dict[int, dict[str, Any]] = {}
    pauses: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    rs = config.report or ReportSettings()
    for cid in config.counters:
        pause_s: dict[str, float] = {}
        busy = staffed = 0.0
        transfers_out = 0
        for life in lives:
            if not period.holds(life.day, None):
                continue
            hours = _clip(life.business, period)
            spans = [c for c in life.counters if c.counter == cid]
            for c in spans:
                if c.status == "paused":
                    secs = overlap([(c.start, c.end)], hours)
                    if secs > 0:
                        why = c.reason or NO_REASON
                        pause_s[why] = pause_s.get(why, 0.0) + secs
                        pauses.append({"day": life.day, "counter": cid,
                                       "reason": c.reason or NO_REASON,
                                       "start": c.start.isoformat(), "end": c.end.isoformat(),
                                       "minutes": _min(secs)})
            opened = _clip([(c.start, c.end) for c in spans if c.status == "open"], period)
            worked = _clip([(b.start, b.end) for b in life.busy if b.counter == cid], period)
            busy += sum((e - s).total_seconds() for s, e in worked)
            staffed += overlap(opened, hours) + sum((e - s).total_seconds() for s, e in worked) \
                - overlap(worked, hours)
            transfers_out += sum(1 for t in life.transfers if t.from_counter == cid
                                 and period.holds(life.day, t.at or t.stand_in))
            late.extend(_late(life, cid, spans, period, grace_s))
        acc = groups["counters"][cid].out(rs.wait_threshold_min)
        del acc["issued"], acc["priority"], acc["unserved"]  # a counter issues nothing
        out[cid] = acc | {
            "pause_min": _min(sum(pause_s.values())),
            "pauses": {k: _min(v) for k, v in sorted(pause_s.items())},
            "busy_min": _min(busy), "staffed_min": _min(staffed),
            "utilisation": round(busy / staffed, 4) if staffed else None,
            "transfers_out": transfers_out,
            "late": [x for x in late if x["counter"] == cid],
        }
    return out, pauses, late


def _late(life: DayLife, cid: int, spans: list[Any], period: Period,
          grace_s: float) -> list[dict[str, Any]]:
    found = []
    for opening, closing in life.business:
        if not period.holds(life.day, opening):
            continue
        at_open = next((c for c in spans if c.start <= opening < c.end), None)
        if at_open is None or at_open.status == "open":
            continue
        first = next((c for c in spans if c.status == "open" and opening < c.start < closing),
                     None)
        if first is None:
            found.append({"day": life.day, "counter": cid, "opening": opening.isoformat(),
                          "opened": None, "minutes": None})
            continue
        secs = (first.start - opening).total_seconds()
        if secs > grace_s:
            found.append({"day": life.day, "counter": cid, "opening": opening.isoformat(),
                          "opened": first.start.isoformat(), "minutes": _min(secs)})
    return found


def _peak(lives: list[DayLife], period: Period) -> dict[str, Any]:
    best: tuple[int, datetime | None] = (0, None)
    for life in lives:
        for t, total in life.waiting:
            if total > best[0] and period.holds(life.day, t):
                best = (total, t)
    return {"count": best[0], "at": best[1].isoformat() if best[1] else None}


def compute(events: Iterable[Mapping[str, Any] | Event], config: Config, period: Period,
            now: datetime | None = None) -> Report:
    """Every figure of ``period``, with the day lives behind them (for charts).

    ``events``: event dicts (or :class:`Event`) of the period's business days, plus any
    day a ``clock_corrected`` among them names as ``from_day``
    (:func:`kiosk.report.load.period_events` reads exactly that). ``now``: a day still
    running is measured up to it.
    """
    rs = config.report or ReportSettings()
    threshold_s = rs.wait_threshold_min * 60
    lives = [replay_day(d, evs, config, now) for d, evs in sorted(split_days(events,
                                                                             period).items())]
    groups: dict[str, dict[Any, _Acc]] = {
        "services": {s: _Acc() for s in config.services},
        "counters": {c: _Acc() for c in config.counters}}
    total = _Acc()
    for life in lives:
        _tickets(life, period, threshold_s, groups, total)
    counters, pauses, late = _counters(lives, period, config, rs.late_grace_min * 60, groups)
    services: dict[str, dict[str, Any]] = {}
    for prefix, svc in config.services.items():
        stranded = sum(overlap(_clip([(s, e)], period), _clip(life.business, period))
                       for life in lives for sv, s, e in life.stranded if sv == prefix)
        services[prefix] = {"name_zh": svc.name_zh, "name_en": svc.name_en} | \
            groups["services"][prefix].out(rs.wait_threshold_min) | \
            {"no_open_counter_min": _min(stranded)}
    transfers = [t for life in lives for t in life.transfers
                 if period.holds(life.day, t.at or t.stand_in)]
    rewaits = [t.rewait_s for t in transfers if t.rewait_s is not None]
    b = config.branch
    out = {
        "branch": {"name_zh": b.name_zh, "name_en": b.name_en, "code": b.code,
                   "device_id": b.device_id},
        "period": period.to_dict(),
        "days_with_events": len(lives),
        "totals": total.out(rs.wait_threshold_min) | {
            "no_open_counter_min": round(sum(s["no_open_counter_min"]
                                             for s in services.values()), 2),
            "pause_min": round(sum(c["pause_min"] for c in counters.values()), 2),
            "late_openings": sum(1 for x in late if x["minutes"] is not None),
            "transfers": len(transfers), "peak_waiting": _peak(lives, period)},
        "services": services,
        "counters": {str(k): v for k, v in counters.items()},
        "transfers": {"count": len(transfers),
                      "routes": dict(sorted(Tally(_route(t) for t in transfers).items())),
                      "rewait": stats(rewaits)},
        "pauses": pauses,
        "late_openings": late,
    }
    return Report(out, lives, period)


def _route(t: Any) -> str:
    if t.to_counter is not None:
        return f"{t.from_service}@{t.from_counter}->@{t.to_counter}"
    return f"{t.from_service}->{t.to_service}"


def summary(events: Iterable[Mapping[str, Any] | Event], config: Config, period: Period,
            now: datetime | None = None) -> dict[str, Any]:
    """The period's figures as a JSON-able dict (for the staff panel and MQTT)."""
    return compute(events, config, period, now).summary
