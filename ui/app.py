"""The Kivy app: one ScreenManager per mode, fed by :class:`ui.link.CoreLink`.

Modes and their screens (each a :class:`ui.base.KioskScreen`, one module and one ``.kv``
file each):

* ``customer``: ``customer`` (:mod:`ui.customer`), ``confirm`` (:mod:`ui.confirm`);
* ``hall``: ``hall`` (``ui.hall.HallScreen``);
* ``staff``: ``staff`` (``ui.staff.StaffScreen``);

plus ``waiting`` (:mod:`ui.waiting`) in every mode, shown until the core answers and
whenever it is away. The hall and staff modules are imported by name when needed.

Kiosk mode (fullscreen): no cursor, no window chrome, Escape does nothing and a close
request is refused; only the staff panel leaves it, through :meth:`KioskApp.leave_kiosk`.
A windowed run is a dev run: keys stand in for the clerks' buttons (1-4 call next at
that counter, Shift+1-4 recall, P then 1-4 pause or resume), F1 opens the staff panel
and the last printed ticket is shown in a corner (:mod:`ui.preview`; F2 hides it).
"""

from __future__ import annotations

import importlib
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import NumericProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import messages
from kiosk.config_model import Config
from ui import theme
from ui.base import KioskScreen
from ui.link import CoreLink
from ui.waiting import WaitingScreen

log = logging.getLogger(__name__)

SCREENS: dict[str, list[tuple[str, str, str]]] = {  # mode -> (name, module, class)
    "customer": [("customer", "ui.customer", "CustomerScreen"),
                 ("confirm", "ui.confirm", "ConfirmScreen")],
    "hall": [("hall", "ui.hall", "HallScreen")],
    "staff": [("staff", "ui.staff", "StaffScreen")],
}
KEY_F1, KEY_F2, KEY_P, KEY_1 = 282, 283, 112, 49


def process_age_ms() -> float | None:
    """Milliseconds since this process started (Linux: /proc), for the start-up log."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22, starttime, in clock ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000
    except (OSError, ValueError, IndexError):
        return None


def screen_class(module: str, name: str) -> type[KioskScreen]:
    cls: type[KioskScreen] = getattr(importlib.import_module(module), name)
    return cls


class KioskApp(App):
    s = NumericProperty(1.0)  # design-pixel factor (ui.theme), for .kv files

    def __init__(self, kiosk_config: Config, mode: str, socket: Path, *, dev: bool,
                 state_dir: Path, follow_mqtt: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.follow_mqtt = follow_mqtt  # a hall board on a second Pi: MQTT, not the socket
        self.kiosk_config = kiosk_config
        self.mode = mode
        self.socket = socket
        self.dev = dev
        self.state_dir = state_dir
        self.tz = ZoneInfo(kiosk_config.branch.timezone)
        self.status: dict[str, Any] | None = None
        self.link: CoreLink | None = None
        self.sm: ScreenManager | None = None
        self.allow_exit = dev
        self._before_offline: str | None = None
        self._pause_armed = False
        self.frames = 0  # frames drawn, for tests and the bench
        self.exit_code = 0
        self.stopping = False  # a stop was asked for (signal or staff)

    # --- words (every string on screen comes from the catalogue) ---------------------
    def t(self, key: str, **params: object) -> messages.Bilingual:
        return messages.text(key, **params)

    def zh(self, key: str, **params: object) -> str:
        return messages.zh(key, **params)

    def en(self, key: str, **params: object) -> str:
        return messages.en(key, **params)

    def en_size(self, zh_size: float) -> float:
        return theme.en_size(zh_size, self.s)

    def number_size(self, width: float, chars: int, portrait: bool) -> float:
        """The ticket number's size: one of two steps, the largest that fits ``width``
        (each font size costs the screen process a FreeType face of a few MB)."""
        for step in ((110, 90) if portrait else (140, 110)):
            if chars * 0.66 * step * self.s <= width:
                return float(step * self.s)
        return float((90 if portrait else 110) * self.s)

    def now(self) -> datetime:
        return datetime.now(self.tz)

    # --- building ---------------------------------------------------------------------
    def build(self) -> FloatLayout:
        self.title = f"{self.kiosk_config.branch.name_zh} {self.kiosk_config.branch.name_en}"
        Window.clearcolor = theme.hex_rgba(theme.BG)
        if not self.dev:
            Window.show_cursor = False
        self._rescale(Window, Window.size)
        Window.bind(size=self._rescale, on_request_close=self._on_request_close)
        Window.bind(on_draw=self._count_frame, on_flip=self._first_frame)
        root = FloatLayout()
        # the link first, so every screen has it; it starts once they all exist
        link: Any  # a CoreLink, or an MqttFeed of the same shape
        if self.follow_mqtt:
            from ui.mqtt_feed import feed_for

            link = feed_for(self.kiosk_config, self._online, self._event, self._offline)
        else:
            link = CoreLink(self.socket, self._online, self._event, self._offline)
        self.link = link
        self.sm = ScreenManager(transition=NoTransition())  # calm, and cheap on a Pi
        for name, module, cls in SCREENS[self.mode]:
            self.add_screen(screen_class(module, cls)(name=name))
        self.add_screen(WaitingScreen(name="waiting"))
        self.sm.current = "waiting"  # until the core answers
        root.add_widget(self.sm)
        if self.dev:
            Window.bind(on_key_down=self._on_key)
            from ui.preview import TicketPreview

            self.preview = TicketPreview(self)
            root.add_widget(self.preview)
        link.start()
        from kivy.config import Config

        full = Config.get("graphics", "fullscreen") not in ("0", "")
        if full and os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            Clock.schedule_once(lambda _dt: self._cover_x_screen(), 0)
        return root

    def _cover_x_screen(self) -> None:
        """Kiosk mode on X: a bare X server (xinit, no window manager) ignores SDL's
        full-screen request; the window stays at its configured size in the middle while
        Kivy lays out for the whole screen. So the window becomes a borderless one at
        0,0 the size of the screen (SDL reported it), which every X session honours.
        KMS/DRM and Wayland (cage) keep SDL's full screen."""
        screen = tuple(Window.system_size)
        Window.fullscreen = False

        def cover(_dt: float) -> None:
            Window.borderless = True
            Window.left, Window.top = 0, 0
            Window.size = screen
            Window.show_cursor = False
            log.info("kiosk window: borderless %dx%d at 0,0", *screen)

        Clock.schedule_once(cover, 0)

    def add_screen(self, screen: KioskScreen) -> None:
        assert self.sm is not None
        screen.app_link = self.link
        self.sm.add_widget(screen)

    def on_stop(self) -> None:
        # the window may still report a size change while it closes: the .kv rules it
        # would re-evaluate need a running app, which is gone by then
        Window.unbind(size=self._rescale, on_request_close=self._on_request_close)
        if self.link is not None:
            self.link.stop()

    def screens(self) -> list[KioskScreen]:
        assert self.sm is not None
        return [s for s in self.sm.screens if isinstance(s, KioskScreen)]

    def _rescale(self, _win: Any, size: tuple[int, int]) -> None:
        self.s = theme.scale_for(*size)
        theme.set_scale(self.s)

    def _count_frame(self, *_: Any) -> None:
        self.frames += 1

    def _first_frame(self, *_: Any) -> None:
        Window.unbind(on_flip=self._first_frame)
        age = process_age_ms()
        log.info("first frame on screen %s after the process started",
                 f"{age:.0f} ms" if age is not None else "(age unknown)")

    # --- navigation -------------------------------------------------------------------
    @property
    def home_name(self) -> str:
        return SCREENS[self.mode][0][0]

    def go(self, name: str) -> None:
        assert self.sm is not None
        if self.sm.current == "waiting" and name != "waiting" and not (
                self.link and self.link.online):
            self._before_offline = name  # shown once the core is back
            return
        self.sm.current = name

    def home(self) -> None:
        self.go(self.home_name)

    def open_staff(self) -> None:
        """The staff panel (F1 in a dev run; a hidden corner touch may call this too)."""
        assert self.sm is not None
        if not self.sm.has_screen("staff"):
            try:
                self.add_screen(screen_class("ui.staff", "StaffScreen")(name="staff"))
            except Exception:  # a broken staff panel must not take the customer's down
                log.exception("the staff panel could not be opened")
                return
            if self.status is not None:
                self.sm.get_screen("staff").show_status(self.status)
        self.go("staff")

    def leave_kiosk(self) -> None:
        """Leave kiosk mode (the staff panel calls this after the PIN and a confirmation)."""
        self.allow_exit = self.stopping = True
        self.stop()

    def terminate(self, code: int) -> None:
        """Stop on a signal (the supervisor's SIGTERM): the process exits with ``code``."""
        self.exit_code = code
        self.allow_exit = self.stopping = True
        self.stop()

    def _on_request_close(self, *_: Any, **__: Any) -> bool:
        return not self.allow_exit  # True keeps the window open: only staff may leave

    # --- the link's callbacks (Kivy's thread) -----------------------------------------
    def _online(self, status: dict[str, Any]) -> None:
        assert self.sm is not None
        self.status = status
        for screen in self.screens():
            screen.show_online()
            screen.show_status(status)
        if self.sm.current == "waiting":
            back = self._before_offline
            self._before_offline = None
            self.sm.current = back if back and back != "confirm" else self.home_name

    def _event(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        self.status = status
        for screen in self.screens():
            screen.on_kiosk_event(event, status)
        if self.dev and hasattr(self, "preview"):
            self.preview.on_kiosk_event(event)

    def _offline(self) -> None:
        assert self.sm is not None
        for screen in self.screens():
            screen.show_offline()
        if self.sm.current != "waiting":
            self._before_offline = self.sm.current
            self.sm.current = "waiting"

    # --- dev keys: the clerks' buttons --------------------------------------------------
    def _on_key(self, _win: Any, key: int, _scancode: int, _codepoint: str | None,
                modifiers: list[str]) -> bool:
        if key == KEY_F1:
            self.open_staff()
            return True
        if key == KEY_F2 and hasattr(self, "preview"):
            self.preview.toggle()
            return True
        if key == KEY_P:
            self._pause_armed = True
            return True
        if not KEY_1 <= key <= KEY_1 + 3 or self.link is None:
            self._pause_armed = False
            return False
        counter = key - KEY_1 + 1
        if self._pause_armed:
            self._pause_armed = False
            self._toggle_pause(counter)
        elif "shift" in modifiers:
            self.link.send("recall", {"counter": counter}, self._log_reply)
        else:
            self.link.send("call-next", {"counter": counter}, self._log_reply)
        return True

    def _toggle_pause(self, counter: int) -> None:
        assert self.link is not None
        state = next((c["status"] for c in (self.status or {}).get("counters", ())
                      if c["id"] == counter), None)
        if state == "paused":
            self.link.send("resume", {"counter": counter}, self._log_reply)
        else:
            self.link.send("pause", {"counter": counter,
                                     "reason": self.zh("ui_dev_pause_reason")},
                           self._log_reply)

    @staticmethod
    def _log_reply(reply: dict[str, Any]) -> None:
        if not reply.get("ok"):
            log.info("dev key: %s", reply.get("message_en") or reply.get("code"))
