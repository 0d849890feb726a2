"""Voice announcements: "请 A012 号到 3 号窗口办理", said twice after a chime.

::

    [audio]
    sink = "alsa"            # or "wav:///var/lib/kiosk/announcements" (the default stand-in)
    device = "default"
    volume = 80
    quiet_hours = ["12:00-13:30"]

Announcements are assembled from a clip pack (one WAV per token) made by
``python -m drivers.audio.clips DIR``; see docs/counter-hardware.md.
"""

from __future__ import annotations

import logging
from typing import Any

from drivers.audio import clips as clip_files
from drivers.audio.pack import ClipPack
from drivers.audio.sinks import from_url
from drivers.audio.spec import AudioSpec, parse
from drivers.audio.voice import Voice
from kiosk.commands import ReportDevice
from kiosk.ports import DriverContext, DriverParts, Submit

__all__ = ["AudioSpec", "Voice", "build", "validate"]
log = logging.getLogger(__name__)


def validate(raw: Any) -> None:
    """Check the ``audio`` section; raises ConfigError naming e.g. ``audio.volume``."""
    parse(raw)


def load_pack(spec: AudioSpec, submit: Submit) -> ClipPack:
    """Load the clips, generating missing default ones first if allowed.

    A missing or broken pack never stops the kiosk: calls still show on the displays,
    and the fault is reported as device ``voice``.
    """
    problem = ""
    if spec.generate_missing and clip_files.missing(spec.clips):
        try:
            clip_files.generate(spec.clips)
        except Exception as exc:
            problem = f"cannot generate clips: {exc}"
    pack = ClipPack.load(spec.clips, spec.volume, gap_ms=spec.gap_ms, pause_ms=spec.pause_ms)
    lacking = [t for t in clip_files.TOKENS if t not in pack.clips]
    if lacking and not problem:
        problem = f"{len(lacking)} clips missing in {spec.clips}: {' '.join(lacking[:8])}"
    if problem:
        log.error("voice: %s", problem)
        try:
            submit(ReportDevice("voice", "error", problem[:200]), "voice")
        except Exception:
            log.exception("voice: could not report the clip problem")
    return pack


def build(ctx: DriverContext) -> DriverParts:
    """The voice subscriber; with no ``audio`` section, WAV files stand in for a speaker."""
    spec = (ctx.settings or parse({})).resolved(ctx.config_dir)
    sink = from_url(spec.sink, spec.device, spec.keep, spec.realtime)
    voice = Voice(spec, load_pack(spec, ctx.submit), sink, ctx.submit, ctx.tz,
                  max_late_s=spec.max_late_s)
    return DriverParts(subscribers=[voice])
