"""The hall board: the latest call very large, the calls before it, each counter's state
and a slow courtesy line at the foot.

Landscape (1920x1080): calls on the left, counters on the right; portrait (1080x1920):
calls on top, counters below; the layout follows the window's aspect. What it says comes
from :mod:`ui.hall_model`: this module only draws. A new call (or a recall, which is a
call again) blinks for ``[ui] hall_highlight_s`` seconds, then stays highlighted calmly.
With ``[ui] hall_public_summary`` a band above the courtesy line shows today's
satisfaction rate and average wait (:mod:`ui.hall_public`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk import messages
from ui.base import KioskScreen
from ui.hall_model import CallBoard, counter_rows, courtesy
from ui.hall_public import PublicSummary

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

BLINK_S = 0.5  # half a blink period: slow enough to read, calm enough for a hall
SCROLL_PX_S = 60.0  # design px per second of the courtesy line
SCROLL_FPS = 30.0
# every catalogue line the .kv file shows (the .kv file itself is not scanned for keys)
WORDS = ("hall_title", "hall_recent", "hall_counters", "hall_no_calls")


class HallCounterRow(BoxLayout):
    name_zh = StringProperty("")
    name_en = StringProperty("")
    serves_zh = StringProperty("")
    serves_en = StringProperty("")
    state_zh = StringProperty("")
    state_en = StringProperty("")
    tone = StringProperty("normal")


class HallRecentRow(BoxLayout):
    zh = StringProperty("")
    en = StringProperty("")


class HallScreen(KioskScreen):
    ticket = StringProperty("")  # the latest call's number; "" before any call
    where_zh = StringProperty("")
    where_en = StringProperty("")
    highlight = BooleanProperty(False)  # a new call, within the highlight window
    lit = BooleanProperty(False)  # the blink's phase while highlighted
    courtesy_text = StringProperty("")
    marquee_x = NumericProperty(0.0)  # the courtesy line's offset in its band
    clock_zh = StringProperty("")
    clock_en = StringProperty("")
    recent = ListProperty([])  # for tests: the previous calls' zh words
    public_zh = StringProperty("")  # the public summary (公示); "" hides its band
    public_en = StringProperty("")
    # title, satisfaction, wait: Chinese and English of each, as the band shows them
    public_parts = ListProperty(["", "", "", "", "", ""])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        ui = app.kiosk_config.ui if app is not None else None
        highlight_s = float(getattr(ui, "hall_highlight_s", 6))
        self.board = CallBoard(highlight_s=highlight_s)
        words = courtesy(getattr(ui, "courtesy_zh", None), getattr(ui, "courtesy_en", None))
        self.courtesy_text = "　　".join(w for w in (words.zh, words.en) if w)
        self._rows: tuple[Any, ...] = ()
        self.public: PublicSummary | None = None
        if app is not None and getattr(ui, "hall_public_summary", False):
            self.public = PublicSummary(app.kiosk_config, app.now, self._show_public,
                                        lambda fn: Clock.schedule_once(lambda _dt: fn(), 0))
        self._blink: Any = None
        self.ids.counters.parent.bind(height=self._fit_rows)
        Clock.schedule_interval(self._scroll, 1 / SCROLL_FPS)
        Clock.schedule_interval(lambda _dt: self._tick(), 1.0)
        self._tick()

    # --- the screen contract ----------------------------------------------------------
    def show_status(self, status: dict[str, Any]) -> None:
        self.board.seed(status)
        self._draw_rows(status)
        self._draw_calls()
        self._public_due(status)

    def on_kiosk_event(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        if self.board.on_event(event, time.monotonic()):
            self._draw_calls()
        self._draw_rows(status)
        self._public_due(status)

    def _public_due(self, status: dict[str, Any]) -> None:
        if self.public is not None:
            self.public.due(self.app_link.send if self.app_link else None, status.get("day"))

    def _show_public(self, parts: tuple[messages.Bilingual, ...]) -> None:
        title, sat, wait = parts
        self.public_parts = [title.zh, title.en, sat.zh, sat.en, wait.zh, wait.en]
        self.public_zh = f"{title.zh}：{sat.zh}　{wait.zh}"
        self.public_en = f"{title.en}: {sat.en} · {wait.en}"

    # --- drawing ------------------------------------------------------------------------
    def _draw_rows(self, status: dict[str, Any]) -> None:
        rows = tuple(counter_rows(status))
        if rows == self._rows:
            return
        self._rows = rows
        box = self.ids.counters
        box.clear_widgets()
        for r in rows:
            box.add_widget(HallCounterRow(
                name_zh=r.name.zh, name_en=r.name.en, serves_zh=r.serves.zh,
                serves_en=r.serves.en, state_zh=r.state.zh, state_en=r.state.en, tone=r.tone))
        self._fit_rows()

    def _fit_rows(self, *_: Any) -> None:
        """Each counter row as tall as a row should be, or shorter when many share the
        column, so every counter stays on the board without scrolling."""
        box = self.ids.counters
        n = len(box.children)
        app = App.get_running_app()
        if not n or app is None:
            return
        s = app.s
        free = box.parent.height - s * (30 + 10)  # less the heading and its gap
        height = max(s * 44, min(s * 96, (free - s * 10 * (n - 1)) / n))
        for row in box.children:
            row.height = height

    def _draw_calls(self) -> None:
        latest = self.board.latest
        if latest is None:
            self.ticket = self.where_zh = self.where_en = ""
        else:
            self.ticket = latest.ticket
            self.where_zh, self.where_en = latest.sentence.zh, latest.sentence.en
        box = self.ids.recent
        box.clear_widgets()
        for call in self.board.previous:
            box.add_widget(HallRecentRow(zh=call.words.zh, en=call.words.en))
        self.recent = [c.words.zh for c in self.board.previous]
        if self.board.highlighted(time.monotonic()):
            self.highlight = self.lit = True
            if self._blink is None:
                self._blink = Clock.schedule_interval(lambda _dt: self._blink_step(), BLINK_S)
        else:
            self._end_blink()

    def _blink_step(self) -> None:
        if self.board.highlighted(time.monotonic()):
            self.lit = not self.lit
        else:
            self._end_blink()

    def _end_blink(self) -> None:
        if self._blink is not None:
            self._blink.cancel()
            self._blink = None
        self.highlight = self.lit = False

    def _scroll(self, dt: float) -> None:
        band = self.ids.get("marquee")
        if band is None:
            return
        app = App.get_running_app()
        label = self.ids.marquee_label
        self.marquee_x -= SCROLL_PX_S * (app.s if app else 1.0) * min(dt, 0.2)
        if self.marquee_x + label.width < 0:
            self.marquee_x = band.width

    def _tick(self) -> None:
        app = App.get_running_app()
        if app is None:
            return
        now = app.now()
        wz, we = messages.zh("ui_weekdays").split(), messages.en("ui_weekdays").split()
        t = messages.text("ui_clock", date=now.strftime("%Y-%m-%d"), time=now.strftime("%H:%M"),
                          weekday_zh=wz[now.weekday()], weekday_en=we[now.weekday()])
        self.clock_zh, self.clock_en = t.zh, t.en
