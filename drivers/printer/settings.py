"""The ``[printer]`` table; its model is :class:`kiosk.settings.PrinterSettings`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.config import convert
from kiosk.settings.printer import GS_PAREN_D_PROFILES, PrinterSettings, parse_url

__all__ = ["GS_PAREN_D_PROFILES", "PrinterSettings", "parse", "parse_url"]


def parse(raw: dict[str, Any] | None, base: Path | None = None) -> PrinterSettings:
    """Check the raw ``[printer]`` table (``None``: absent) and build the settings;
    ``base`` resolves a relative preview directory."""
    settings: PrinterSettings = convert({} if raw is None else raw, PrinterSettings, "printer")
    return settings.resolved(base)
