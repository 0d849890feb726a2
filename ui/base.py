"""The contract every screen follows.

A screen is a Kivy :class:`~kivy.uix.screenmanager.Screen` subclass of
:class:`KioskScreen`, built with only ``name=...`` (its layout comes from its own ``.kv``
file, loaded when its module is imported). The app (:class:`ui.app.KioskApp`) then sets
:attr:`KioskScreen.app_link` and calls, always on Kivy's thread:

* :meth:`KioskScreen.show_status` with the core's whole status (``kiosk.status.Status``
  as a dict: ``day``, ``services``, ``counters``, ``devices``, ``issued_today``) on every
  (re)connection;
* :meth:`KioskScreen.on_kiosk_event` with each committed event (``kiosk.events.Event`` as
  a dict: ``type``, ``ticket``, ``service``, ``counter``, ``data``...) and the status after
  it; a screen redraws from these and never polls;
* :meth:`KioskScreen.show_offline` when the core went away (the app then shows the calm
  waiting screen) and :meth:`KioskScreen.show_online` when it is back (a fresh
  ``show_status`` follows at once).

Every screen hears every call, shown or not, so it is up to date when shown. A screen sends
commands with ``self.app_link.send(cmd, args, on_reply)``: it never blocks, and
``on_reply`` gets the reply dict on Kivy's thread (``{"ok": false, "code":
"service_unavailable", ...}`` when the core is away). The app itself is
``kivy.app.App.get_running_app()``: its ``kiosk_config`` is the checked
:class:`kiosk.config_model.Config`, ``status`` the last status dict (or None), ``s`` the
size factor for ``.kv`` files (see :mod:`ui.theme`), ``go(name)`` shows a screen and
``home()`` the mode's first screen.

``BiLabel`` (a Label that wraps to its width and is as tall as its text) is defined here
for every ``.kv`` file.

Words: every string comes from :mod:`kiosk.messages` (``app.t(key, **params)`` gives a
``Bilingual``), Chinese first, English beneath.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.lang import Builder
from kivy.uix.screenmanager import Screen

if TYPE_CHECKING:
    from ui.link import CoreLink

# Shared by every .kv file: a label that wraps to its width and is as tall as its text.
Builder.load_string("""
<BiLabel@Label>:
    text_size: self.width, None
    size_hint_y: None
    height: self.texture_size[1]
    halign: "center"
""")


class KioskScreen(Screen):
    """One screen of the kiosk; every hook is a no-op until a screen needs it."""

    app_link: CoreLink | None = None

    def show_status(self, status: dict[str, Any]) -> None:
        """The core's whole status, on (re)connection."""

    def on_kiosk_event(self, event: dict[str, Any], status: dict[str, Any]) -> None:
        """One committed event and the status after it."""

    def show_offline(self) -> None:
        """The core went away (restart, crash): commands cannot be sent now."""

    def show_online(self) -> None:
        """The core is back; ``show_status`` follows."""
