"""The checks behind ``kiosk doctor``: each one a small function of a :class:`Probe`.

A check looks and never touches: no file is created or written, the database is opened
read-only, the store lock is never taken, and a device the running kiosk holds is not
opened again (its status comes from the kiosk over the control socket instead; a status
query sent to a printer in the middle of a job would corrupt the ticket).

Every check returns one :class:`Result`: ``ok``, ``warn`` or ``fail``, what was found in
plain words (Chinese and English, from :mod:`kiosk.messages`) and, unless ok, the fix.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kiosk import messages

if TYPE_CHECKING:
    from kiosk.config import Config

log = logging.getLogger(__name__)

Level = Literal["ok", "warn", "fail"]
LEVELS: tuple[Level, ...] = ("ok", "warn", "fail")
JOURNALD_DROPIN = Path("/etc/systemd/journald.conf.d/counter-kiosk.conf")


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    level: Level
    text: messages.Bilingual
    fix: messages.Bilingual | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "level": self.level,
                               "zh": self.text.zh, "en": self.text.en}
        if self.fix is not None:
            out["fix_zh"], out["fix_en"] = self.fix.zh, self.fix.en
        return out


def ok(name: str, text: messages.Bilingual) -> Result:
    return Result(name, "ok", text)


def warn(name: str, text: messages.Bilingual, fix: messages.Bilingual | None = None) -> Result:
    return Result(name, "warn", text, fix)


def fail(name: str, text: messages.Bilingual, fix: messages.Bilingual | None = None) -> Result:
    return Result(name, "fail", text, fix)


@dataclass
class Probe:
    """What the checks share. The seams (``statvfs``, ``pin_factory``, paths) let tests
    put a check in any state without the machine being in it."""

    config: Config | None
    config_path: Path | None = None
    config_error: str | None = None
    live: dict[str, Any] | None = None  # the running kiosk's status; None: not running
    live_why: str = ""  # why there is no live status
    timeout: float = 5.0
    journald_dropin: Path = JOURNALD_DROPIN
    journalctl: str | None = "journalctl"
    statvfs: Callable[[str], os.statvfs_result] = os.statvfs
    pin_factory: Any = None  # a gpiozero Factory; None: gpiozero's own choice
    extra: dict[str, Any] = field(default_factory=dict)

    def live_device(self, name: str) -> dict[str, str] | None:
        if self.live is None:
            return None
        device: dict[str, str] | None = self.live.get("devices", {}).get(name)
        return device


Check = Callable[[Probe], Result]


def from_live(name: str, device: str, state: dict[str, str]) -> Result:
    """A device the running kiosk holds, judged by what the kiosk reports for it."""
    status = state.get("status", "?")
    text = messages.text("doctor_live_device", device=device, status=status,
                         detail=state.get("detail") or "")
    if status == "ok":
        return ok(name, text)
    level: Level = "warn" if status in ("paper_low", "starting", "unknown") else "fail"
    return Result(name, level, text, messages.text("doctor_live_device_fix"))


def all_checks() -> list[Check]:
    import kiosk.checks.broker as broker
    import kiosk.checks.hardware as hardware
    import kiosk.checks.screen as screen
    import kiosk.checks.system as system

    return [system.config, system.service, hardware.printer, hardware.displays,
            hardware.gpio, hardware.audio, screen.screen, broker.mqtt, system.clock,
            system.disk, system.journal, system.database]


def run_all(probe: Probe, checks: list[Check] | None = None) -> list[Result]:
    """Run every check; one that raises becomes a ``fail`` saying so, never a crash."""
    results = []
    for check in checks or all_checks():
        name = check.__name__
        if probe.config is None and name != "config":
            results.append(warn(name, messages.text("doctor_not_checked")))
            continue
        try:
            results.append(check(probe))
        except Exception as exc:  # a doctor that crashes tells IT nothing
            log.exception("check %s failed", name)
            results.append(fail(name, messages.Bilingual(f"{type(exc).__name__}: {exc}",
                                                         f"{type(exc).__name__}: {exc}")))
    return results
