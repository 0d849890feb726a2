"""The ``[[displays]]`` section; its model is :class:`kiosk.settings.DisplaySpec`."""

from __future__ import annotations

from typing import Any

from kiosk.config import convert
from kiosk.settings import Displays, DisplaySpec
from kiosk.settings.display import check_displays

__all__ = ["DisplaySpec", "parse"]


def parse(raw: Any) -> list[DisplaySpec]:
    """A ``displays`` list as written in the file, checked (ConfigError names the key)."""
    return list(check_displays(convert(raw, Displays, "displays")))
