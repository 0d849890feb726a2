"""What the chart page draws, computed without matplotlib: the queue minute by minute
and the waits per service, from a :class:`~kiosk.report.figures.Report`.

Kept apart from :mod:`kiosk.report.charts` so that this part can run while another
process is still importing the plotting library (``kiosk report --chart``), and so that
what is drawn is small enough to hand over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.report.figures import Report
from kiosk.report.timeline import DayLife, Span

STEP = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ChartData:
    summary: dict[str, Any]
    grid: list[datetime]  # the minutes of the waiting chart
    series: dict[str, list[float]]  # service -> customers waiting at each minute
    days: int  # 1: the day itself; more: the mean by time of day over that many days
    business: list[Span]  # the published hours, drawn for a single day
    waits: dict[str, list[float]]  # service -> first waits in minutes


def chart_data(report: Report) -> ChartData:
    grid, series, days = waiting_series(report)
    business = report.days[0].business if len(report.days) == 1 else []
    return ChartData(report.summary, grid, series, days, business, waits_by_service(report))


def _counts_at(steps: list[tuple[datetime, int]], grid: list[datetime]) -> list[int]:
    out, i, n = [], 0, 0
    for t in grid:
        while i < len(steps) and steps[i][0] <= t:
            n = steps[i][1]
            i += 1
        out.append(n)
    return out


def _day_grid(life: DayLife) -> list[datetime]:
    start = life.business[0][0] if life.business else life.window[0]
    end = max(life.horizon, life.closing or life.horizon)
    n = max(1, int((end - start) / STEP))
    return [start + i * STEP for i in range(n + 1)]


def waiting_series(report: Report) -> tuple[list[datetime], dict[str, list[float]], int]:
    """Customers waiting per service, minute by minute: the day itself for one day, the
    mean by time of day over the days of a longer period (plotted on the first day)."""
    services = list(next(iter(report.days)).queue) if report.days else []
    lives = [life for life in report.days if life.business or len(report.days) == 1]
    if not lives:
        return [], {}, 0
    if len(lives) == 1:
        grid = _day_grid(lives[0])
        if report.period.start is not None and report.period.end is not None:
            until = report.period.until or report.period.end
            grid = [t for t in grid if report.period.start <= t <= until] or grid
        return grid, {s: [float(x) for x in _counts_at(lives[0].queue[s], grid)]
                      for s in services}, 1
    base = lives[0]
    offsets = [_day_grid(life) for life in lives]
    first = min(g[0] - datetime.combine(g[0].date(), datetime.min.time(), g[0].tzinfo)
                for g in offsets)
    last = max(g[-1] - datetime.combine(g[0].date(), datetime.min.time(), g[0].tzinfo)
               for g in offsets)
    midnight = datetime.combine(base.window[0].date(), datetime.min.time(),
                                base.window[0].tzinfo)
    n = int((last - first) / STEP)
    grid = [midnight + first + i * STEP for i in range(n + 1)]
    sums = {s: [0.0] * len(grid) for s in services}
    for life in lives:
        shift = datetime.combine(life.window[0].date(), datetime.min.time(),
                                 life.window[0].tzinfo) - midnight
        own = [t + shift for t in grid]
        for s in services:
            for i, x in enumerate(_counts_at(life.queue[s], own)):
                sums[s][i] += x
    return grid, {s: [x / len(lives) for x in v] for s, v in sums.items()}, len(lives)


def waits_by_service(report: Report) -> dict[str, list[float]]:
    """First waits in minutes, by the service issued for (the figures' own rule)."""
    out: dict[str, list[float]] = {}
    for life in report.days:
        for tk in life.tickets:
            if tk.wait_s is not None and report.period.holds(life.day, tk.when(tk.first_call)):
                out.setdefault(tk.service, []).append(tk.wait_s / 60)
    return out
