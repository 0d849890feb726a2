"""The hall board's public summary (公示), ``[ui] hall_public_summary = true``: one
line with today's satisfaction rate and average wait, as the service norms ask results
to be made public.

The figures are :func:`kiosk.report.summary` of today's events (the control socket's
``{"cmd": "events"}``, read from the store's read-only connection), counted in the UI
process on a thread of their own: the core never counts them, Kivy's thread never waits.
They are counted again after new events, at most every :data:`EVERY_S`. A board that
follows over MQTT gets no events list (its link answers ``service_unavailable``): the
line then stays hidden. Only branch-wide figures appear: nothing about a customer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kiosk.messages import Bilingual, text

log = logging.getLogger(__name__)
EVERY_S = 15.0  # a hall line need not follow every ticket; a busy day's events are MBs


def parts(f: Mapping[str, Any]) -> tuple[Bilingual, Bilingual, Bilingual]:
    """The title, the satisfaction rate, the average wait: each Chinese and English."""
    t = f["totals"]
    r, wait = t["ratings"], t["wait"]["mean_min"]
    good = r["share"]["good"]
    sat = (text("hall_public_satisfaction", good=f"{good * 100:.0f}%", count=r["count"])
           if r["count"] and good is not None else text("hall_public_no_ratings"))
    w = (text("hall_public_wait", wait=f"{wait:.1f}") if wait is not None
         else text("hall_public_no_wait"))
    return text("hall_public_title"), sat, w


def words(f: Mapping[str, Any]) -> Bilingual:
    """``今日服务公示：客户满意率 92%（48 次评价）　平均等候 6.5 分钟`` and its English."""
    title, sat, w = parts(f)
    return Bilingual(f"{title.zh}：{sat.zh}　{w.zh}", f"{title.en}: {sat.en} · {w.en}")


class PublicSummary:
    """Counts today's figures for a screen and hands the line to ``show(words)``.

    ``due()`` after a status or an event; ``send`` is the screen's link ``send``."""

    def __init__(self, config: Any, now: Callable[[], datetime],
                 show: Callable[[tuple[Bilingual, ...]], None],
                 post: Callable[[Callable[[], None]], None]) -> None:
        self.config, self.now, self.show, self.post = config, now, show, post
        self._busy = False
        self._scheduled = False
        self._last = -EVERY_S

    def due(self, send: Callable[..., None] | None, day: str | None) -> None:
        if send is None or self._busy or self._scheduled:
            return
        from kivy.clock import Clock

        self._scheduled = True
        wait = max(0.0, self._last + EVERY_S - time.monotonic())
        Clock.schedule_once(lambda _dt: self._ask(send, day), wait)

    def _ask(self, send: Callable[..., None], day: str | None) -> None:
        self._scheduled, self._busy, self._last = False, True, time.monotonic()
        send("events", {}, lambda reply: self._events(reply, day))

    def _events(self, reply: dict[str, Any], day: str | None) -> None:
        if not reply.get("ok"):
            self._busy = False
            log.debug("public summary: no events (%s)", reply.get("code"))
            return
        events, now = reply.get("data") or [], self.now()

        def work() -> None:
            from ui import staff_today  # kiosk.report's figures, without matplotlib

            try:
                d = day or staff_today.business_day(self.config, now)
                line: tuple[Bilingual, ...] | None = parts(
                    staff_today.figures(events, self.config, d, now))
            except Exception:
                log.exception("public summary: the figures could not be counted")
                line = None
            self.post(lambda: self._done(line))

        threading.Thread(target=work, name="hall-public", daemon=True).start()

    def _done(self, line: tuple[Bilingual, ...] | None) -> None:
        self._busy = False
        if line is not None:
            self.show(line)
