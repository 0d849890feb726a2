"""The ``[buttons]`` section; its model is :class:`kiosk.settings.ButtonsSpec`."""

from __future__ import annotations

from typing import Any

from kiosk.config import convert
from kiosk.settings import ButtonsSpec, CounterButtons

__all__ = ["ButtonsSpec", "CounterButtons", "parse"]


def parse(raw: Any) -> ButtonsSpec:
    """A ``buttons`` table as written in the file, checked (ConfigError names the key)."""
    return convert(raw, ButtonsSpec, "buttons")
