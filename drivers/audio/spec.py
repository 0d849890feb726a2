"""The ``[audio]`` section: its model lives in :mod:`kiosk.settings.audio`."""

from __future__ import annotations

from typing import Any

from kiosk.config import convert
from kiosk.config_defaults import DEFAULT_CLIPS, DEFAULT_SINK
from kiosk.settings import AudioSpec

__all__ = ["DEFAULT_CLIPS", "DEFAULT_SINK", "AudioSpec", "parse"]


def parse(raw: Any) -> AudioSpec:
    """An ``audio`` table as written in the file, checked (ConfigError names the key)."""
    spec: AudioSpec = convert(raw, AudioSpec, "audio")
    return spec
