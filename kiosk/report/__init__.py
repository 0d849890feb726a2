"""Service-quality reports (issue 15): figures from the event log, ``kiosk report``,
the shift handover sheet and the chart page. docs/reports.md says what each figure counts.

For the staff panel and the daily MQTT summary, in their own code::

    from kiosk.report import periods, store_summary, summary

    figures = summary(events, config, periods.day(date(2026, 11, 23)))  # events you hold
    figures = store_summary(config, periods.day(day), now)  # read from the store, read-only

Both return a JSON-able dict. Neither imports matplotlib: only
:mod:`kiosk.report.charts` does, and only ``kiosk report --chart`` imports that.
"""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from typing import Any

from kiosk.config_model import Config
from kiosk.report import periods
from kiosk.report.figures import summary

__all__ = ["periods", "store_summary", "summary"]


def store_summary(config: Config, period: periods.Period,
                  now: datetime | None = None) -> dict[str, Any]:
    """:func:`summary` of ``period`` read from ``config.storage_path`` through a
    read-only connection of its own (safe beside the running kiosk, on any thread)."""
    from kiosk.report import load

    with closing(load.connect(config.storage_path)) as conn:
        return summary(load.period_events(conn, period), config, period, now)
