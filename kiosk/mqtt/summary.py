"""The daily summary for head office: ``{base}/summary/daily``, QoS 1, retained.

When the kiosk's business day changes (a ``day_started`` event for a new day: the first
command of that day, usually the first counter opened the next morning), the figures of
the day just ended (the latest earlier day with events, so a weekend or a kiosk switched
off in between changes nothing) are computed by :func:`kiosk.report.summary` and
published as::

    {"day": "2026-11-23", "branch": "east-city", "device": "k1",
     "ts": "2026-11-24T08:30:02+08:00", "summary": {...the kiosk report --json dict...}}

Why the day change and not closing time plus a margin: the business day runs until the
next day's opening (a customer finished after closing still counts for it), so only the
day change says that day's record is complete.

The figures are read on a thread of this module's own, through a read-only connection
of their own (never the worker's); the subscriber's ``handle`` only hands the day over.
paho queues the message while the broker is away. It is not in the outbox: a restart
before it is sent loses it, and ``kiosk report --day DAY --json`` gives the same dict.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import events as ev
from kiosk import messages
from kiosk.events import Event
from kiosk.mqtt.topics import Topics

log = logging.getLogger(__name__)
DaySummary = Callable[[str], tuple[str, dict[str, Any]] | None]
Publish = Callable[[str, bytes, int, bool], int]


class DailySummary:
    """``day_started(event)`` from the subscriber; ``stop()`` at a clean stop."""

    def __init__(self, day_summary: DaySummary, publish: Publish, topics: Topics,
                 tz: ZoneInfo) -> None:
        self._day_summary = day_summary
        self._publish = publish
        self.topics = topics
        self._tz = tz
        self._days: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="mqtt-summary", daemon=True)
        self._thread.start()
        self.published: list[str] = []  # days summarised since start (for the tests)

    def handle(self, event: Event) -> None:
        """Called for every committed event; never waits."""
        if event.type == ev.DAY_STARTED:
            self._days.put(event.day)

    def stop(self, timeout: float = 5.0) -> None:
        self._days.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (day := self._days.get()) is not None:
            try:
                self._send(day)
            except Exception as exc:  # a store that cannot be read: logged, never fatal
                log.error("MQTT: %s", messages.en("mqtt_summary_failed", day=day,
                                                   error=f"{type(exc).__name__}: {exc}"))

    def _send(self, started: str) -> None:
        found = self._day_summary(started)
        if found is None:
            log.info("MQTT: no earlier business day to summarise before %s", started)
            return
        day, figures = found
        payload = {"day": day, "branch": self.topics.branch, "device": self.topics.device,
                   "ts": datetime.now(self._tz).isoformat(timespec="seconds"),
                   "summary": figures}
        self._publish(self.topics.daily_summary,
                      json.dumps(payload, ensure_ascii=False).encode(), 1, True)
        self.published.append(day)
        log.info("MQTT: the summary of %s went to %s", day, self.topics.daily_summary)
