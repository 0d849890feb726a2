"""The customer screen: one large card per service; one touch takes a number.

* Cards come from the status (waiting, rough wait, open counters) and from ``[[ui.
  elsewhere]]`` (services offered at another branch: touching one apologises and says
  where). A service whose counters are all closed says so on its card (the core would
  refuse its tickets); one whose counters are paused says they are back shortly (the core
  issues tickets for it). A touch always asks the core, which issues or refuses by the
  branch's rules; a refusal is shown as the core words it (an apology plus what to do
  instead).
* One touch, one ticket: while an ``issue`` is in flight, and for :data:`TAP_GUARD` s
  after the last accepted touch, touches are ignored, so a double tap or a held finger
  never takes two numbers.
* Outside business hours, and before the clock is synchronised, one calm panel replaces
  the cards (worked out from the config's hours and clock settings, and from the core's
  refusal if it says so first).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from kiosk import messages
from kiosk.clock import SystemClock
from kiosk.core import hours
from ui.base import KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
log = logging.getLogger(__name__)

TAP_GUARD = 1.0  # s after a touch that took a ticket during which touches are ignored
NOTICE_SECONDS = 12  # an apology closes by itself after this
HOURS_EVERY = 5.0  # s between looks at the hours and the clock's sync flag


class ServiceCard(ButtonBehavior, BoxLayout):
    """One service (or one offered elsewhere); the whole card is the button."""

    key = StringProperty("")  # service prefix, or "elsewhere:<n>"
    name_zh = StringProperty("")
    name_en = StringProperty("")
    line1_zh = StringProperty("")  # waiting, or why no ticket can be taken here
    line1_en = StringProperty("")
    line2_zh = StringProperty("")  # the rough wait (may be empty)
    line2_en = StringProperty("")
    kind = StringProperty("open")  # open | none (no open counter) | elsewhere
    compact = BooleanProperty(False)  # two rows of cards: both lines on one
    wide = BooleanProperty(False)  # one column (portrait): names and queue side by side


class NoticeView(ModalView):
    """A calm apology with one large OK button; closes by itself."""

    title_zh = StringProperty("")
    title_en = StringProperty("")
    body_zh = StringProperty("")
    body_en = StringProperty("")


class CustomerScreen(KioskScreen):
    clock_time = StringProperty("")
    clock_date = StringProperty("")
    panel = StringProperty("")  # "" (cards) | closed | unsynced
    panel_zh = StringProperty("")
    panel_en = StringProperty("")
    panel_title_zh = StringProperty("")
    panel_title_en = StringProperty("")
    busy = BooleanProperty(False)  # an issue is in flight
    cols = NumericProperty(3)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_take = -TAP_GUARD
        self._status: dict[str, Any] | None = None
        self._notice: NoticeView | None = None
        self._cards: dict[str, ServiceCard] = {}
        self.issued = 0  # tickets this screen took (tests, bench)
        self.ignored = 0  # touches the guard ignored
        app = App.get_running_app()
        cfg = app.kiosk_config
        self._clock = SystemClock(app.tz, cfg.require_sync, cfg.sync_flag)
        self._tick()
        Clock.schedule_interval(lambda _dt: self._tick(), 1.0)
        Clock.schedule_interval(lambda _dt: self._look_at_hours(), HOURS_EVERY)
        Clock.schedule_once(lambda _dt: self._look_at_hours(), 0)
        app.bind(s=lambda *_: self._layout())
        self.bind(size=lambda *_: self._layout())

    # --- header clock -----------------------------------------------------------------
    def _tick(self) -> None:
        now = App.get_running_app().now()
        wz, we = messages.zh("ui_weekdays").split(), messages.en("ui_weekdays").split()
        hm = now.strftime("%H:%M")
        if hm != self.clock_time:  # a new minute: the only redraw the clock costs
            d = messages.text("ui_date", date=now.strftime("%Y-%m-%d"),
                              weekday_zh=wz[now.weekday()], weekday_en=we[now.weekday()])
            self.clock_time, self.clock_date = hm, f"{d.zh} {d.en}"

    # --- hours and the clock's sync -----------------------------------------------------
    def _look_at_hours(self) -> None:
        app = App.get_running_app()
        cfg = app.kiosk_config
        if not self._clock.synced():
            self._show_panel("unsynced", messages.text("ui_clock_title"),
                             messages.text("clock_unsynced"))
            return
        now = app.now()
        if hours.is_open(cfg.hours, app.tz, now):
            if self.panel:
                self.panel = ""
            return
        nxt = hours.next_opening(cfg.hours, app.tz, now)
        if nxt is None:
            body = messages.text("ui_closed_unknown")
        else:
            zh, en = hours.describe_opening(nxt, now, app.tz)
            body = messages.text("ui_closed_next", next_open_zh=zh, next_open_en=en)
        self._show_panel("closed", messages.text("ui_closed_title"), body)

    def _show_panel(self, kind: str, title: messages.Bilingual,
                    body: messages.Bilingual) -> None:
        self.panel_title_zh, self.panel_title_en = title.zh, title.en
        self.panel_zh, self.panel_en = body.zh, body.en
        self.panel = kind

    # --- cards ------------------------------------------------------------------------
    def show_status(self, status: dict[str, Any]) -> None:
        self._status = status
        self._update_cards()

    def on_kiosk_event(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        self._status = status
        self._update_cards()

    def _card_data(self) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        status = self._status or {}
        for svc in status.get("services", ()):
            states = {c["status"] for c in status.get("counters", ())
                      if svc["prefix"] in c["services"]}
            if not svc["open_counters"] and states <= {"closed"}:
                # the core refuses: say so before anyone takes a ticket
                kind, one, two = ("none", messages.text("ui_no_counter"),
                                  messages.text("ui_ask_staff"))
            elif not svc["open_counters"]:  # paused: tickets are issued, called later
                kind, one, two = ("open", messages.text("ui_paused"),
                                  messages.text("ui_waiting", waiting=svc["waiting"])
                                  if svc["waiting"] else messages.text("ui_waiting_none"))
            elif svc["waiting"] == 0:
                kind, one, two = ("open", messages.text("ui_waiting_none"),
                                  messages.text("ui_take_now"))
            else:
                kind, one, two = ("open", messages.text("ui_waiting", waiting=svc["waiting"]),
                                  messages.text("ui_wait_about",
                                                minutes=max(1, svc["wait_minutes"])))
            out.append({"key": svc["prefix"], "name_zh": svc["name_zh"],
                        "name_en": svc["name_en"], "kind": kind, "line1_zh": one.zh,
                        "line1_en": one.en, "line2_zh": two.zh, "line2_en": two.en})
        for i, e in enumerate(App.get_running_app().kiosk_config.ui.elsewhere):
            one = messages.text("ui_elsewhere")
            out.append({"key": f"elsewhere:{i}", "name_zh": e.name_zh, "name_en": e.name_en,
                        "kind": "elsewhere", "line1_zh": one.zh, "line1_en": one.en,
                        "line2_zh": "", "line2_en": ""})
        return out

    def _update_cards(self) -> None:
        grid = self.ids.cards
        data = self._card_data()
        if [d["key"] for d in data] != list(self._cards):
            grid.clear_widgets()
            self._cards = {}
            for d in data:
                card = ServiceCard()
                card.bind(on_release=self._touched)
                self._cards[d["key"]] = card
                grid.add_widget(card)
            self._layout()
        for d in data:
            card = self._cards[d["key"]]
            for k, v in d.items():
                if getattr(card, k) != v:
                    setattr(card, k, v)

    def _layout(self) -> None:
        """Columns for the card count: one row up to three cards (landscape), else two
        rows; portrait stacks them. Never a scroll."""
        n = max(1, len(self._cards))
        if self.width >= self.height:
            self.cols = n if n <= 3 else (n + 1) // 2
        else:
            self.cols = 1 if n <= 4 else 2
        rows = -(-n // self.cols)
        for card in self._cards.values():
            card.compact = rows > 1 and self.width >= self.height
            card.wide = self.cols == 1 and n > 1

    # --- taking a number --------------------------------------------------------------
    def _touched(self, card: ServiceCard) -> None:
        now = time.monotonic()
        if self.busy or now - self._last_take < TAP_GUARD or self.panel:
            self.ignored += 1
            return
        if card.kind == "elsewhere":
            e = App.get_running_app().kiosk_config.ui.elsewhere[int(card.key.split(":")[1])]
            self.notice(messages.Bilingual(e.name_zh, e.name_en),
                        messages.text("ui_elsewhere_where", name_zh=e.name_zh,
                                      name_en=e.name_en, where_zh=e.where_zh,
                                      where_en=e.where_en))
            return
        self._last_take = now
        self.take(card.key)

    def take(self, prefix: str) -> None:
        """Ask the core for a ticket of ``prefix`` (one at a time)."""
        if self.app_link is None:
            return
        self.busy = True
        self.app_link.send("issue", {"service": prefix}, self._issued)

    def _issued(self, reply: dict[str, Any]) -> None:
        self.busy = False
        self._last_take = time.monotonic()  # the guard runs from the answer too
        if reply.get("ok"):
            event = next((e for e in reply.get("events", ()) if e.get("type") == "issued"),
                         None)
            if event is not None:
                self.issued += 1
                app = App.get_running_app()
                app.sm.get_screen("confirm").show_ticket(event, reply.get("status") or {})
                app.go("confirm")
                return
        code = reply.get("code")
        if code in ("outside_hours", "no_opening_soon", "clock_unsynced"):
            self._look_at_hours()
        wait = messages.text("ui_please_wait_detail")
        self.notice(messages.Bilingual("", ""),
                    messages.Bilingual(reply.get("message_zh") or wait.zh,
                                       reply.get("message_en") or wait.en))

    def notice(self, title: messages.Bilingual, body: messages.Bilingual) -> None:
        if self._notice is not None:
            self._notice.dismiss()
        view = NoticeView(title_zh=title.zh, title_en=title.en, body_zh=body.zh,
                          body_en=body.en)
        self._notice = view
        view.open()
        Clock.schedule_once(lambda _dt: view.dismiss(), NOTICE_SECONDS)

    def show_offline(self) -> None:
        self.busy = False  # the reply (service_unavailable) still comes; nothing waits
        if self._notice is not None:
            self._notice.dismiss()
