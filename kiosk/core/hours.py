"""Business hours and the business day. Pure: every function takes ``now``.

The business day of an instant is the local date of the most recent day that has
opened by then. With hours 08:30-17:00 the Monday business day runs from Monday 08:30
until Tuesday 08:30, so tickets issued at 16:59 are still called at 17:30, and a call
at 07:00 on Tuesday still belongs to Monday. A branch open 00:00-24:00 rolls over at
midnight.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk.config_model import Hours

LOOKBACK_DAYS = 40  # longest closure (e.g. Spring Festival plus weekends) we look across
_WEEKDAY_ZH = "一二三四五六日"
_WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _at(day: date, t: time | None, tz: ZoneInfo) -> datetime:
    if t is None:  # 24:00
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, t, tzinfo=tz)


_CACHE: dict[tuple[int, ZoneInfo, date], tuple[Hours, tuple[tuple[datetime, datetime], ...]]] = {}


def _instants(hours: Hours, tz: ZoneInfo, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The opening intervals of ``day`` as aware datetimes.

    Cached because every command asks. Keyed by identity, not by value: hashing the whole
    timetable on each call cost more than the lookup saved. The entry keeps ``hours``
    alive and is checked with ``is``, so a recycled id can never return a stale answer.
    """
    key = (id(hours), tz, day)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is hours:
        return hit[1]
    if len(_CACHE) > 1024:
        _CACHE.clear()
    value = tuple((_at(day, s, tz), _at(day, e, tz)) for s, e in hours.intervals(day))
    _CACHE[key] = (hours, value)
    return value


def is_open(hours: Hours, tz: ZoneInfo, now: datetime) -> bool:
    local = now.astimezone(tz)
    # An interval ending at 24:00 yesterday cannot contain now, so today suffices.
    return any(s <= local < e for s, e in _instants(hours, tz, local.date()))


def business_day(hours: Hours, tz: ZoneInfo, now: datetime) -> date:
    local = now.astimezone(tz)
    day = local.date()
    for back in range(LOOKBACK_DAYS):
        d = day - timedelta(days=back)
        iv = _instants(hours, tz, d)
        if iv and iv[0][0] <= local:
            return d
    return day  # no opening for weeks: the calendar date is the only sensible answer


def next_opening(hours: Hours, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The next instant the branch opens after ``now`` (None if not within LOOKBACK_DAYS)."""
    local = now.astimezone(tz)
    for ahead in range(LOOKBACK_DAYS):
        for start, _ in _instants(hours, tz, local.date() + timedelta(days=ahead)):
            if start > local:
                return start
    return None


def describe_opening(when: datetime, now: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """Words a customer understands: ("明天 08:30", "tomorrow at 08:30")."""
    w, n = when.astimezone(tz), now.astimezone(tz)
    hm = w.strftime("%H:%M")
    delta = (w.date() - n.date()).days
    if delta == 0:
        return f"今天 {hm} ", f"today at {hm}"
    if delta == 1:
        return f"明天 {hm} ", f"tomorrow at {hm}"
    wd = w.weekday()
    return (
        f"{w.month}月{w.day}日（周{_WEEKDAY_ZH[wd]}）{hm} ",
        f"{_WEEKDAY_EN[wd]} {w.day} {w.strftime('%b')} at {hm}",
    )


def day_window(hours: Hours, tz: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """When business ``day`` starts (its first opening) and ends (the next day's first
    opening). Instants inside belong to ``day``; ``decide`` checks this first, so the
    common case needs no calendar arithmetic."""
    own = _instants(hours, tz, day)
    start = own[0][0] if own else datetime.combine(day, time(0), tzinfo=tz)
    for ahead in range(1, LOOKBACK_DAYS):
        nxt = _instants(hours, tz, day + timedelta(days=ahead))
        if nxt:
            return start, nxt[0][0]
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
