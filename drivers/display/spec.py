"""The ``[[displays]]`` section: its model lives in :mod:`kiosk.settings.display`."""

from __future__ import annotations

from typing import Any

from kiosk.config import convert
from kiosk.settings import Displays, DisplaySpec
from kiosk.settings.display import (
    CHECKSUMS,
    ENCODINGS,
    FLASH_STYLES,
    LANGUAGES,
    PROTOCOLS,
    check_displays,
)

__all__ = ["CHECKSUMS", "ENCODINGS", "FLASH_STYLES", "LANGUAGES", "PROTOCOLS", "DisplaySpec",
           "parse"]


def parse(raw: Any) -> list[DisplaySpec]:
    """A ``displays`` list as written in the file, checked (ConfigError names the key)."""
    return list(check_displays(convert(raw, Displays, "displays")))
