"""The ``[buttons]`` section: its model lives in :mod:`kiosk.settings.buttons`."""

from __future__ import annotations

from typing import Any

from kiosk.config import convert
from kiosk.settings.buttons import (
    ACTIONS,
    SCORES,
    ButtonsSpec,
    CounterButtons,
    Pin,
    Timing,
    pin_factories,
)

__all__ = ["ACTIONS", "SCORES", "ButtonsSpec", "CounterButtons", "Pin", "Timing", "parse",
           "pin_factories"]


def parse(raw: Any) -> ButtonsSpec:
    """A ``buttons`` table as written in the file, checked (ConfigError names the key)."""
    spec: ButtonsSpec = convert(raw, ButtonsSpec, "buttons")
    return spec
