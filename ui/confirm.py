"""The confirmation: the number, where it is served, how many are ahead, what to bring.

It returns to the start by itself after :data:`SHOW_SECONDS`; a tap returns at once, but
not within :data:`TAP_IGNORE` of it appearing (the finger that took the ticket may still
be down, or tap again). When the printer reports that this ticket did not print (a
``device_status`` event whose ``ticket`` field is this number: a field, never parsed
from text) it says so calmly and keeps the number up for :data:`FAILED_SECONDS`. That
event may come down the watch before the ``issue`` reply comes back on the command
connection, so failures are remembered whenever they arrive.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty

from kiosk import messages
from ui.base import KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

SHOW_SECONDS = 8
FAILED_SECONDS = 20
TAP_IGNORE = 1.0
PRINTER = "printer"


class ConfirmScreen(KioskScreen):
    number = StringProperty("")
    service_zh = StringProperty("")
    service_en = StringProperty("")
    counters_zh = StringProperty("")
    counters_en = StringProperty("")
    ahead_zh = StringProperty("")
    ahead_en = StringProperty("")
    docs_title_zh = StringProperty("")
    docs_title_en = StringProperty("")
    documents = ListProperty([])  # [(zh, en), ...]: the complete list, at once
    not_printed = BooleanProperty(False)
    failed_zh = StringProperty("")
    failed_en = StringProperty("")
    left = NumericProperty(SHOW_SECONDS)
    footer_zh = StringProperty("")
    footer_en = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown_at = 0.0
        self._failed: deque[str] = deque(maxlen=50)  # tickets the printer reported unprinted
        self._timer: Any = None
        self._warm = False
        self._doc_boxes: dict[str, Any] = {}
        self.drawn_at = 0.0  # monotonic time of the first frame showing a ticket (bench)

    # --- events -------------------------------------------------------------------------
    def on_kiosk_event(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        if (event.get("type") == "device_status" and event.get("ticket")
                and (event.get("data") or {}).get("device") == PRINTER):
            self._failed.append(event["ticket"])
            if event["ticket"] == self.number and self.manager \
                    and self.manager.current == self.name:
                self._mark_not_printed()

    def show_status(self, status: dict[str, Any]) -> None:
        if not self._warm:
            self._warm = True
            Clock.schedule_once(lambda _dt: self._warm_up(status), 0)

    def _warm_up(self, status: dict[str, Any]) -> None:
        """Fill the screen once per service while it is hidden, so the first customer's
        confirmation finds its document lists built and its font sizes loaded."""
        digits = App.get_running_app().kiosk_config.rules.number_digits
        for svc in status.get("services", ()):
            self._fill({"ticket": svc["prefix"] + "0" * digits, "service": svc["prefix"],
                        "data": {"ahead": 1}}, status)
        self._mark_text()

    # --- showing a ticket -----------------------------------------------------------------
    def show_ticket(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        self._fill(event, status)
        self.not_printed = False
        self._shown_at = time.monotonic()
        self.drawn_at = 0.0
        Window.unbind(on_flip=self._drawn)
        Window.bind(on_flip=self._drawn)  # the first buffer swap that shows it
        self._countdown(SHOW_SECONDS)
        if event["ticket"] in self._failed:
            self._mark_not_printed()

    def _docs(self, prefix: str) -> Any:
        """The service's document list as widgets, built once and kept."""
        box = self._doc_boxes.get(prefix)
        if box is None:
            cfg = App.get_running_app().kiosk_config
            docs = cfg.services[prefix].documents if prefix in cfg.services else ()
            box = Factory.BoxLayout(orientation="vertical", size_hint_y=None)
            box.bind(minimum_height=box.setter("height"))
            for d in docs:
                line = Factory.DocLine()
                line.zh, line.en = d.zh, d.en
                box.add_widget(line)
            self._doc_boxes[prefix] = box
        return box

    def _fill(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        app = App.get_running_app()
        cfg = app.kiosk_config
        ticket, prefix = event["ticket"], event["service"]
        data = event.get("data") or {}
        self.number = ticket
        self.service_zh = data.get("service_zh") or cfg.services[prefix].name_zh
        self.service_en = data.get("service_en") or cfg.services[prefix].name_en
        svc = next((s for s in status.get("services", ()) if s["prefix"] == prefix), None)
        counters = list(svc["open_counters"]) if svc and svc["open_counters"] \
            else list(cfg.counters_for(prefix))
        key = "ui_counter_one" if len(counters) == 1 else "ui_counter_many"
        self.counters_zh = messages.zh(key, counters="、".join(map(str, counters)))
        self.counters_en = messages.en(key, counters=", ".join(map(str, counters)))
        ahead = int(data.get("ahead") or 0)
        a = messages.text("ticket_ahead", ahead=ahead) if ahead else \
            messages.text("ticket_wait_none")
        self.ahead_zh, self.ahead_en = a.zh, a.en
        docs = cfg.services[prefix].documents if prefix in cfg.services else ()
        title = messages.text("ticket_documents")
        self.docs_title_zh, self.docs_title_en = title.zh, title.en
        self.documents = [(d.zh, d.en) for d in docs]
        holder = self.ids.docs
        box = self._docs(prefix)
        if box.parent is not holder:
            holder.clear_widgets()
            holder.add_widget(box)
        footer = messages.text("ui_take_ticket")
        self.footer_zh, self.footer_en = footer.zh, footer.en

    def _drawn(self, *_: Any) -> None:
        Window.unbind(on_flip=self._drawn)
        self.drawn_at = time.monotonic()

    def _mark_text(self) -> None:
        t = messages.text("ui_not_printed", ticket=self.number)
        self.failed_zh, self.failed_en = t.zh, t.en

    def _mark_not_printed(self) -> None:
        self.not_printed = True
        self._mark_text()
        self._countdown(FAILED_SECONDS)

    def _countdown(self, seconds: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.left = seconds
        self._timer = Clock.schedule_interval(self._tick, 1.0)

    def _tick(self, _dt: float) -> bool:
        self.left -= 1
        if self.left <= 0:
            self.back()
            return False
        return True

    def back(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        App.get_running_app().home()

    def on_touch_down(self, touch: Any) -> bool:
        if time.monotonic() - self._shown_at >= TAP_IGNORE:
            self.back()
        return True  # nothing beneath takes this touch

    def show_offline(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
