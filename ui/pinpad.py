"""The staff PIN pad: ten digit keys, clear and enter, each at least 80 px at 800x480.

It only collects digits; :mod:`ui.staff` checks them (off Kivy's thread) against the
lockout in :mod:`ui.pinlock`. The digits are never shown, only one dot per digit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

MAX_DIGITS = 12
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "enter")
# the words on the two non-digit keys (the .kv file is not scanned for catalogue keys)
KEY_WORDS = {"clear": "staff_key_clear", "enter": "staff_key_enter"}


class PinKey(Button):
    key = StringProperty("")
    zh = StringProperty("")
    en = StringProperty("")


class PinPad(BoxLayout):
    """Digits in, ``submit(pin)`` out; ``enabled`` False while a PIN is being checked
    or while the panel is locked out."""

    count = NumericProperty(0)  # digits typed (shown as dots)
    enabled = BooleanProperty(True)
    submit = ObjectProperty(None, allownone=True)  # called with the PIN on Enter

    def __init__(self, **kwargs: Any) -> None:
        self._digits = ""
        self.keys: dict[str, PinKey] = {}
        super().__init__(**kwargs)

    def on_kv_post(self, _base: Any) -> None:
        """The keys, once this widget's own rule (its grid) is applied."""
        from kiosk import messages

        for k in KEYS:
            words = messages.text(KEY_WORDS[k]) if k in KEY_WORDS else None
            key = PinKey(key=k, zh=words.zh if words else k, en=words.en if words else "")
            key.bind(on_release=lambda w: self.press(w.key))
            self.keys[k] = key
            self.ids.grid.add_widget(key)

    def press(self, key: str) -> None:
        if not self.enabled:
            return
        if key == "clear":
            self.clear()
        elif key == "enter":
            pin, self._digits = self._digits, ""
            self.count = 0
            if pin and self.submit is not None:
                self.submit(pin)
        elif len(self._digits) < MAX_DIGITS:
            self._digits += key
            self.count = len(self._digits)

    def clear(self) -> None:
        self._digits = ""
        self.count = 0
