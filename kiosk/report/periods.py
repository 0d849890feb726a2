"""Report periods: a business day, a shift of one, an ISO week, a month, or a range.

A period is a run of business days (the kiosk's ``day``, not calendar dates: with hours
08:30-17:00 the Monday business day runs until Tuesday 08:30, so a call at 17:30 is still
Monday's). A shift adds a clock-time range on its one day; a figure falls in the shift
when the instant it is measured at (see :mod:`kiosk.report.figures`) does.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk.config_model import Config
from kiosk.core import hours
from kiosk.settings.report import ReportSettings

DAY, SHIFT, WEEK, MONTH, RANGE = "day", "shift", "week", "month", "range"
MAX_DAYS = 366  # a longer range is a typo, not a report anyone reads


@dataclass(frozen=True, slots=True)
class Period:
    kind: str
    first: date  # business days, inclusive
    last: date
    start: datetime | None = None  # shift only: [start, end) on its day
    end: datetime | None = None
    shift: int | None = None  # 1-based shift number
    until: datetime | None = None  # what the shift holds: the last one runs on to the
    # end of its business day, so work finished after closing is on a handover sheet
    span_iso: tuple[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # asked once per figure of every ticket: compare strings made once
        object.__setattr__(self, "span_iso", (self.first.isoformat(), self.last.isoformat()))

    def days(self) -> list[str]:
        n = (self.last - self.first).days
        return [(self.first + timedelta(days=i)).isoformat() for i in range(n + 1)]

    def holds(self, day: str, instant: datetime | None) -> bool:
        """Whether a figure of business ``day`` measured at ``instant`` belongs here.
        An unknown instant (a wrong clock) belongs to its day, whatever the shift."""
        if not self.span_iso[0] <= day <= self.span_iso[1]:
            return False
        if self.start is None or self.end is None or instant is None:
            return True
        return self.start <= instant < (self.until or self.end)

    def label(self) -> tuple[str, str]:
        """(zh, en) words for headings and file names."""
        f, la = self.first.isoformat(), self.last.isoformat()
        if self.kind == SHIFT and self.start and self.end:
            span = f"{self.start:%H:%M}-{self.end:%H:%M}"
            return f"{f} 第{self.shift}班 {span}", f"{f} shift {self.shift} {span}"
        if self.kind == DAY:
            return f, f
        if self.kind == WEEK:
            y, w, _ = self.first.isocalendar()
            return f"{y}年第{w}周（{f} 至 {la}）", f"week {y}-W{w:02d} ({f} to {la})"
        if self.kind == MONTH:
            return f"{self.first.year}年{self.first.month}月", f"{self.first:%Y-%m}"
        return f"{f} 至 {la}", f"{f} to {la}"

    def to_dict(self) -> dict[str, object]:
        zh, en = self.label()
        return {"kind": self.kind, "first": self.first.isoformat(),
                "last": self.last.isoformat(),
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None,
                "shift": self.shift, "label_zh": zh, "label_en": en}


def parse_day(text: str) -> date:
    """``YYYY-MM-DD``; ValueError with the text otherwise."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD") from None


def day(d: date) -> Period:
    return Period(DAY, d, d)


def week(d: date) -> Period:
    monday = d - timedelta(days=d.weekday())
    return Period(WEEK, monday, monday + timedelta(days=6))


def month(text: str) -> Period:
    """``YYYY-MM``."""
    try:
        if len(text) != 7:
            raise ValueError(text)
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise ValueError(f"{text!r} is not a month YYYY-MM") from None
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return Period(MONTH, first, last)


def span(first: date, last: date) -> Period:
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"the range is longer than {MAX_DAYS} days")
    return Period(RANGE, first, last)


def _at(d: date, t: time | None, tz: ZoneInfo) -> datetime:
    if t is None:  # 24:00
        return datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(d, t, tzinfo=tz)


def shifts_of(config: Config, d: date) -> list[tuple[datetime, datetime]]:
    """The shifts of business day ``d``; with none configured, its business hours as one
    shift (first opening to last closing), or the whole calendar day if it has no hours."""
    tz = config.branch.tz
    rs = config.report or ReportSettings()
    if rs.shift_times:
        return [(_at(d, s, tz), _at(d, e, tz)) for s, e in rs.shift_times]
    iv = config.hours.intervals(d)
    if iv:
        return [(_at(d, iv[0][0], tz), _at(d, iv[-1][1], tz))]
    return [(_at(d, time(0), tz), _at(d, None, tz))]


def shift(config: Config, d: date, number: int) -> Period:
    """Shift ``number`` (1-based) of business day ``d``."""
    found = shifts_of(config, d)
    if not 1 <= number <= len(found):
        raise ValueError(f"shift {number} does not exist; this day has {len(found)}")
    start, end = found[number - 1]
    until = end
    if number == len(found):
        until = max(end, hours.day_window(config.hours, config.branch.tz, d)[1])
    return Period(SHIFT, d, d, start, end, number, until)


def shift_ending(config: Config, now: datetime) -> Period:
    """The shift just ending at ``now``: of today's and yesterday's shifts, the one whose
    end is nearest to now, whether the handover is a little before or after it."""
    tz = config.branch.tz
    local = now.astimezone(tz)
    today = hours.business_day(config.hours, tz, local)
    best: tuple[float, Period] | None = None
    for d in (today - timedelta(days=1), today):
        for i, (_, end) in enumerate(shifts_of(config, d), start=1):
            distance = abs((end - local).total_seconds())
            if best is None or distance < best[0]:
                best = (distance, shift(config, d, i))
    assert best is not None  # shifts_of always gives at least one
    return best[1]


def today(config: Config, now: datetime) -> date:
    """The business day of ``now``."""
    return hours.business_day(config.hours, config.branch.tz, now)
