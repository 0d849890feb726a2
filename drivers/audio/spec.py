"""The ``[audio]`` section; its model is :class:`kiosk.settings.AudioSpec`."""

from __future__ import annotations

from typing import Any

from kiosk.config import convert
from kiosk.settings import AudioSpec

__all__ = ["AudioSpec", "parse"]


def parse(raw: Any) -> AudioSpec:
    """An ``audio`` table as written in the file, checked (ConfigError names the key)."""
    return convert(raw, AudioSpec, "audio")
