"""Runs the touchscreen beside the core under ``kiosk run`` (placeholder)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


class UiSupervisor:
    def __init__(self, config: str | None, socket: Path) -> None:
        self.config, self.socket = config, socket

    def start(self) -> None:
        log.warning("the Kivy screens are not part of this build yet; running headless")

    def stop(self) -> None:
        pass
