"""The calm "please wait a moment" screen, shown while the core is away (a restart, an
update) and until the first status arrives."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from ui.base import KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class WaitingScreen(KioskScreen):
    """Nothing to do but wait: no buttons, no countdown, no error colour."""
