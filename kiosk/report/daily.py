"""The figures of the business day just ended, for the daily MQTT summary.

The kiosk's day changes with a ``day_started`` event for a new day (the first command
of that day: often the first counter opened the next morning). The day just ended is
then the latest day *before* it with events, whatever lies between (a weekend, a
holiday, a kiosk switched off).
"""

from __future__ import annotations

from contextlib import closing
from datetime import date
from typing import Any

from kiosk.config_model import Config
from kiosk.report import load, periods
from kiosk.report.figures import summary


def previous_day_summary(config: Config, before: str) -> tuple[str, dict[str, Any]] | None:
    """``(day, summary)`` of the latest business day before ``before`` (ISO) that has
    events, read through a read-only connection of its own; None when there is none."""
    with closing(load.connect(config.storage_path)) as conn:
        row = conn.execute("SELECT max(day) FROM events WHERE day < ?", [before]).fetchone()
        if row is None or row[0] is None:
            return None
        day = str(row[0])
        period = periods.day(date.fromisoformat(day))
        return day, summary(load.period_events(conn, period), config, period)
