"""The staff panel, behind the staff PIN.

Locked, it shows the PIN pad (:mod:`ui.pinpad`); the PIN is checked against ``[ui]
staff_pin_hash`` on a worker thread (scrypt takes a moment on a Pi) through the lockout
of :mod:`ui.pinlock`, which survives a restart. No hash configured: the panel stays
locked and says how to set one (``kiosk hash-pin``).

Unlocked, four tabs: counters (open, close, pause with a reason and a redirect, resume,
transfer the current ticket), the queue (waiting per service, tickets missed today with
reinstate), devices, and priority tickets with a reason (the only way to get one); plus
reprint the last ticket, lock, and leave kiosk mode. Close, reinstate and transfer say
what will happen and ask once. Every action is a command through the link's ``send``;
the panel redraws from the status and events like every screen. It locks itself after
``[ui] idle_timeout_s`` without a touch.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.modalview import ModalView

from kiosk.messages import Bilingual, text
from kiosk.staffpin import verify_pin
from ui import staff_model as sm
from ui import staff_today as st
from ui.base import KioskScreen
from ui.pinlock import PinLock, lock_path
from ui.pinpad import PinPad

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
log = logging.getLogger(__name__)

TABS = {"counters": "staff_tab_counters", "queue": "staff_tab_queue",
        "devices": "staff_tab_devices", "priority": "staff_tab_priority",
        "today": "staff_tab_today"}
TODAY_EVERY_S = 5.0  # today's figures are counted again at most this often while shown
# lines the .kv file shows (it is not scanned for catalogue keys)
WORDS = ("staff_title", "staff_pin_prompt", "staff_reprint", "staff_lock",
         "staff_leave_kiosk", "staff_back", "staff_priority_title", "staff_device_none")


class StaffButton(Button):
    zh = StringProperty("")
    en = StringProperty("")
    tone = StringProperty("plain")  # plain | brand | amber | red | chosen


class StaffLine(BoxLayout):
    zh = StringProperty("")
    en = StringProperty("")
    tone = StringProperty("normal")


class StaffCounterRow(BoxLayout):
    portrait = BooleanProperty(False)
    name_zh = StringProperty("")
    name_en = StringProperty("")
    state_zh = StringProperty("")
    state_en = StringProperty("")
    tone = StringProperty("normal")


class StaffFigureCell(BoxLayout):
    """One cell of today's table: a heading or a name (Chinese over English), or a
    figure."""

    zh = StringProperty("")
    en = StringProperty("")
    kind = StringProperty("figure")  # figure | name | head | headname (the name heading)
    row = StringProperty("service")  # total | service | counter | head
    name_share = NumericProperty(2.0)  # the name column's width, in figure columns


class StaffFigureRow(BoxLayout):
    row = StringProperty("service")


class StaffDialog(ModalView):
    """A question with large buttons: a confirmation (what will happen, then confirm or
    cancel) or a choice (reason, redirect, transfer target)."""

    zh = StringProperty("")
    en = StringProperty("")


def _button(words: Bilingual, on_press: Callable[[], None], tone: str = "plain",
            **kw: Any) -> StaffButton:
    b = StaffButton(zh=words.zh, en=words.en, tone=tone, **kw)
    b.bind(on_release=lambda _b: on_press())
    return b


class StaffScreen(KioskScreen):
    unlocked = BooleanProperty(False)
    no_pin = BooleanProperty(False)  # no staff_pin_hash configured
    portrait = BooleanProperty(False)  # a tall screen: buttons go beneath, not beside
    busy = BooleanProperty(False)  # a PIN check or a command on its way
    tab = StringProperty("counters")
    message_zh = StringProperty("")  # the PIN page's or the last command's answer
    message_en = StringProperty("")
    message_tone = StringProperty("normal")  # normal | warn
    reason = StringProperty("")  # the priority reason chosen

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = App.get_running_app()
        cfg = app.kiosk_config
        self.pin_hash: str | None = cfg.ui.staff_pin_hash
        self.idle_timeout = float(cfg.ui.idle_timeout_s)
        self.priority_reasons: tuple[str, ...] = tuple(cfg.rules.priority_reasons)
        self.lock = PinLock(lock_path(cfg.storage_path))
        self.status: dict[str, Any] = {}
        self.no_shows = sm.NoShows()
        self.dialog: StaffDialog | None = None
        self.last_reply: dict[str, Any] | None = None  # for tests
        self.today: dict[str, Any] | None = None  # today's figures (ui.staff_today)
        self.today_at: datetime | None = None  # counted as of then
        self.today_failed = False
        self._today_due = False  # a recount asked for while one runs or is scheduled
        self._today_busy = False
        self._today_last = 0.0
        self._touched = time.monotonic()
        # ``ids`` holds weak proxies: keep the widgets themselves, since a page out of
        # the tree has no other owner
        self.pad: PinPad = self.ids.pad.__self__
        self.pad.submit = self.check_pin
        # only the page in use is in the widget tree: a hidden page would still take
        # touches meant for the other
        self._pages = {False: self.ids.pin_page.__self__, True: self.ids.panel.__self__}
        for page in self._pages.values():
            page.parent.remove_widget(page)
        self.ids.body.add_widget(self._pages[False])
        Clock.schedule_interval(lambda _dt: self._idle_check(), 5.0)
        self.show_pin_page()

    # --- the screen contract ----------------------------------------------------------
    def show_status(self, status: dict[str, Any]) -> None:
        self.status = status
        if self.unlocked:
            self.redraw()

    def on_kiosk_event(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        self.status = status
        self.no_shows.on_event(event)
        if self.unlocked:
            self.redraw()
            if self.tab == "today":
                self.refresh_today()

    def show_offline(self) -> None:
        self.close_dialog()

    def on_size(self, _screen: Any, size: Any) -> None:
        portrait = size[0] < size[1]
        if portrait != self.portrait:
            self.portrait = portrait
            if self.unlocked:
                self.redraw()

    def on_unlocked(self, _screen: Any, unlocked: bool) -> None:
        body = self.ids.body
        body.clear_widgets()
        body.add_widget(self._pages[unlocked])

    def on_touch_down(self, touch: Any) -> bool:
        self._touched = time.monotonic()
        return bool(super().on_touch_down(touch))

    # --- PIN ----------------------------------------------------------------------------
    def show_pin_page(self) -> None:
        """The locked page, with the reason it cannot be used yet, if any."""
        self.unlocked = False
        self.close_dialog()
        if not self.pin_hash:
            self._say(text("staff_pin_none"), "warn")
            self.pad.enabled = False
            self.no_pin = True
        elif (left := self.lock.remaining()) > 0:
            self._locked_out(left)
        else:
            self._say(text("staff_pin_prompt"))
            self.pad.enabled = True

    def _locked_out(self, left: float) -> None:
        self._say(text("staff_pin_locked", minutes=max(1, math.ceil(left / 60))), "warn")
        self.pad.enabled = False
        Clock.schedule_once(lambda _dt: self.show_pin_page() if not self.unlocked else None,
                            min(left, 60.0) + 0.1)

    def check_pin(self, pin: str) -> None:
        if self.busy:
            return
        self.busy = True
        self.pad.enabled = False
        self._say(text("staff_pin_checking"))

        def work() -> None:
            result = self.lock.check(pin, self.pin_hash, verify_pin)
            Clock.schedule_once(lambda _dt: self._pin_result(result), 0)

        threading.Thread(target=work, name="staff-pin", daemon=True).start()

    def _pin_result(self, result: Any) -> None:
        self.busy = False
        if result.result == "ok":
            self.unlock()
        elif result.result == "wrong":
            self._say(text("staff_pin_wrong", left=result.left), "warn")
            self.pad.enabled = True
        elif result.result == "locked":
            self._locked_out(result.remaining_s)
        else:
            self.show_pin_page()

    def unlock(self) -> None:
        self.unlocked = True
        self.tab = "counters"
        self._say(Bilingual("", ""))
        self._touched = time.monotonic()
        self.redraw()
        if self.app_link is not None:  # today's missed tickets, for reinstate
            self.app_link.send("events", {}, self._events_reply)

    def _events_reply(self, reply: dict[str, Any]) -> None:
        if reply.get("ok"):
            self.no_shows.load(reply.get("data") or [])
            if self.unlocked:
                self.redraw()

    def lock_panel(self) -> None:
        self.pad.clear()
        self.show_pin_page()

    def _idle_check(self) -> None:
        if self.unlocked and time.monotonic() - self._touched > self.idle_timeout:
            log.info("staff panel locked after %.0f s without a touch", self.idle_timeout)
            self.lock_panel()

    # --- drawing --------------------------------------------------------------------------
    def _say(self, words: Bilingual, tone: str = "normal") -> None:
        self.message_zh, self.message_en, self.message_tone = words.zh, words.en, tone

    def show_tab(self, name: str) -> None:
        self.tab = name
        self.redraw()
        if name == "today":
            self.refresh_today(at_once=True)

    def redraw(self) -> None:
        tabs = self.ids.tabs
        tabs.clear_widgets()
        for name, key in TABS.items():
            tabs.add_widget(_button(text(key), partial(self.show_tab, name),
                                    "chosen" if name == self.tab else "plain"))
        box = self.ids.content
        box.clear_widgets()
        getattr(self, f"_draw_{self.tab}")(box)

    def _draw_counters(self, box: Any) -> None:
        for line in sm.counter_lines(self.status):
            row = StaffCounterRow(portrait=self.portrait,
                                  name_zh=line.name.zh, name_en=line.name.en,
                                  state_zh=line.state.zh, state_en=line.state.en,
                                  tone=line.tone)
            for action in line.actions:
                row.ids.actions.add_widget(_button(
                    text(sm.ACTIONS[action]), partial(self.counter_action, line.id, action),
                    "red" if action == "close" else "brand" if action in ("open", "resume")
                    else "plain"))
            box.add_widget(row)

    def _draw_queue(self, box: Any) -> None:
        # the missed tickets first: they are what staff act on here
        s = App.get_running_app().s
        words = self.no_shows.words()
        box.add_widget(StaffLine(zh=words.zh, en=words.en, tone="heading"))
        if self.no_shows.tickets:
            row = BoxLayout(size_hint_y=None, height=s * 60, spacing=s * 8)
            for ticket in self.no_shows.tickets[-5:]:
                label = text("staff_reinstate")
                row.add_widget(_button(Bilingual(f"{ticket} {label.zh}", label.en),
                                       partial(self.reinstate, ticket)))
            box.add_widget(row)
        for q in sm.queue_lines(self.status):
            box.add_widget(StaffLine(zh=q.head.zh + "  " + q.next.zh,
                                     en=q.head.en + "  " + q.next.en))

    def _draw_devices(self, box: Any) -> None:
        lines = sm.device_lines(self.status)
        if not lines:
            none = text("staff_device_none")
            box.add_widget(StaffLine(zh=none.zh, en=none.en))
        for d in lines:
            detail = f"  ({d.detail})" if d.detail else ""
            box.add_widget(StaffLine(zh=f"{d.name.zh}：{d.state.zh}",
                                     en=f"{d.name.en}: {d.state.en}{detail}", tone=d.tone))

    def _draw_priority(self, box: Any) -> None:
        s = App.get_running_app().s
        title = text("staff_priority_title")
        box.add_widget(StaffLine(zh=title.zh, en=title.en, tone="heading"))
        reasons = BoxLayout(size_hint_y=None, height=s * 64, spacing=s * 8)
        for code in self.priority_reasons:
            reasons.add_widget(_button(sm.priority_label(code), partial(self._choose, code),
                                       "chosen" if code == self.reason else "plain"))
        box.add_widget(reasons)
        services = BoxLayout(size_hint_y=None, height=s * 64, spacing=s * 8)
        for svc in self.status.get("services", ()):
            b = _button(Bilingual(svc["name_zh"], svc["name_en"]),
                        partial(self.issue_priority, svc["prefix"]), "brand")
            b.disabled = not self.reason
            services.add_widget(b)
        box.add_widget(services)

    def _draw_today(self, box: Any) -> None:
        s = App.get_running_app().s
        f, at = self.today, self.today_at
        if f is None or at is None:
            words = text("staff_today_failed" if self.today_failed else "staff_today_loading")
            box.add_widget(StaffLine(zh=words.zh, en=words.en,
                                     tone="warn" if self.today_failed else "normal"))
            return
        # the title, the table (the figures staff look for), then what explains them
        title = st.headline(f, at)
        box.add_widget(StaffLine(zh=title.zh, en=title.en, tone="heading"))
        # a tall screen's narrow columns: headings wrap onto a second line
        share = 1.3 if self.portrait else 2.0
        head = StaffFigureRow(row="head", height=s * (116 if self.portrait else 52))
        for i, key in enumerate(st.COLUMNS):
            words = text(key)
            head.add_widget(StaffFigureCell(zh=words.zh, en=words.en, name_share=share,
                                            kind="headname" if i == 0 else "head", row="head"))
        box.add_widget(head)
        for r in st.rows(f):
            row = StaffFigureRow(row=r.kind, height=s * 50)
            row.add_widget(StaffFigureCell(zh=r.name.zh, en=r.name.en, kind="name",
                                           row=r.kind, name_share=share))
            for value in r.cells:
                row.add_widget(StaffFigureCell(zh=value, row=r.kind))
            box.add_widget(row)
        for words in (st.ratings(f), text("staff_today_note")):
            box.add_widget(StaffLine(zh=words.zh, en=words.en))

    def refresh_today(self, at_once: bool = False) -> None:
        """Count today's figures again: at once when the tab is opened, else at most
        every TODAY_EVERY_S (a busy morning's events do not each cost a recount)."""
        if self._today_busy or self._today_due:
            self._today_due = self._today_due or not at_once
            return
        wait = 0.0 if at_once else max(0.0, self._today_last + TODAY_EVERY_S - time.monotonic())
        self._today_due = True
        Clock.schedule_once(lambda _dt: self._count_today(), wait)

    def _count_today(self) -> None:
        self._today_due = False
        if self.app_link is None:
            self._today_done(None, None)
            return
        self._today_busy = True
        self._today_last = time.monotonic()
        self.app_link.send("events", {}, self._today_events)

    def _today_events(self, reply: dict[str, Any]) -> None:
        if not reply.get("ok"):
            log.info("today's figures: the events could not be read: %s", reply.get("code"))
            self._today_done(None, None)
            return
        app = App.get_running_app()
        cfg, now = app.kiosk_config, app.now()
        day = str(self.status.get("day") or st.business_day(cfg, now))
        events = reply.get("data") or []

        def work() -> None:  # off Kivy's thread: a busy day is thousands of events
            try:
                figures: dict[str, Any] | None = st.figures(events, cfg, day, now)
            except Exception:
                log.exception("today's figures could not be counted")
                figures = None
            Clock.schedule_once(lambda _dt: self._today_done(figures, now), 0)

        threading.Thread(target=work, name="staff-today", daemon=True).start()

    def _today_done(self, figures: dict[str, Any] | None, at: datetime | None) -> None:
        self._today_busy = False
        self.today_failed = figures is None
        if figures is not None:
            self.today, self.today_at = figures, at
        if self.unlocked and self.tab == "today":
            self.redraw()
        if self._today_due:  # events came while counting
            self._today_due = False
            self.refresh_today()

    def _choose(self, code: str) -> None:
        self.reason = code
        self.redraw()

    # --- actions ----------------------------------------------------------------------
    def send(self, cmd: str, args: dict[str, Any]) -> None:
        if self.app_link is None:
            self._say(text("staff_offline"), "warn")
            return
        self.app_link.send(cmd, args, partial(self._reply, cmd, args))

    def _reply(self, cmd: str, args: dict[str, Any], reply: dict[str, Any]) -> None:
        self.last_reply = reply
        self._say(sm.reply_words(cmd, args, reply), "normal" if reply.get("ok") else "warn")
        if reply.get("ok") and isinstance(reply.get("status"), dict):
            self.status = reply["status"]
        if self.unlocked:
            self.redraw()

    def counter_action(self, cid: int, action: str) -> None:
        if action in ("open", "resume"):
            self.send(action, {"counter": cid})
        elif action == "close":
            self.confirm(sm.confirm_close(self.status, cid),
                         partial(self.send, "close", {"counter": cid}))
        elif action == "pause":
            self.choose(text("staff_pause_reason"),
                        [(sm.pause_reason_label(code), partial(self._pause_redirect, cid, code))
                         for code in sm.PAUSE_REASONS])
        elif action == "transfer":
            current = next((c.get("current") for c in self.status.get("counters", ())
                            if c["id"] == cid), None)
            if current:
                self.choose(text("staff_transfer_to"), [
                    (words, partial(self._confirm_transfer, cid, current, kind, value, words))
                    for kind, value, words in sm.transfer_targets(self.status, cid)])

    def _pause_redirect(self, cid: int, reason: str) -> None:
        choices = [(text("hall_counter", counter=i),
                    partial(self.send, "pause", {"counter": cid, "reason": reason,
                                                 "redirect": i}))
                   for i in sm.redirect_choices(self.status, cid)]
        choices.append((text("staff_no_redirect"),
                        partial(self.send, "pause", {"counter": cid, "reason": reason})))
        self.choose(text("staff_redirect"), choices)

    def _confirm_transfer(self, cid: int, ticket: str, kind: str, value: Any,
                          words: Bilingual) -> None:
        args: dict[str, Any] = {"counter": cid}
        args["to_service" if kind == "service" else "to_counter"] = value
        self.confirm(sm.confirm_transfer(cid, ticket, words),
                     partial(self.send, "transfer", args))

    def reinstate(self, ticket: str) -> None:
        self.confirm(sm.confirm_reinstate(ticket),
                     partial(self.send, "reinstate", {"ticket": ticket}))

    def reprint(self) -> None:
        self.send("reprint", {})

    def issue_priority(self, prefix: str) -> None:
        if self.reason:
            self.send("issue", {"service": prefix, "priority": self.reason})
            self.reason = ""

    def leave(self) -> None:
        def go() -> None:
            app = App.get_running_app()
            if hasattr(app, "leave_kiosk"):
                app.leave_kiosk()
            else:
                app.stop()

        self.confirm(text("staff_confirm_leave"), go)

    def back(self) -> None:
        """Lock, then the mode's first screen (the customer screen, or this PIN page)."""
        self.lock_panel()
        app = App.get_running_app()
        if hasattr(app, "home"):
            app.home()

    # --- dialogs ----------------------------------------------------------------------
    def confirm(self, words: Bilingual, then: Callable[[], None]) -> None:
        """Say what will happen; ``then`` runs only after 确认 / Confirm."""
        self.choose(words, [(text("staff_confirm"), then)], tone="red")

    def choose(self, words: Bilingual,
               choices: Sequence[tuple[Bilingual, Callable[[], None]]],
               tone: str = "plain") -> None:
        self.close_dialog()
        d = StaffDialog(zh=words.zh, en=words.en)
        for label, then in choices:
            d.ids.choices.add_widget(_button(label, partial(self._chosen, then), tone))
        d.ids.choices.add_widget(_button(text("staff_cancel"), self.close_dialog))
        self.dialog = d
        d.open()

    def _chosen(self, then: Callable[[], None]) -> None:
        self.close_dialog()
        then()

    def close_dialog(self) -> None:
        if self.dialog is not None:
            d, self.dialog = self.dialog, None
            d.dismiss(animation=False)
