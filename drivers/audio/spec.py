"""The ``[audio]`` config section, parsed into :class:`AudioSpec`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from kiosk.config import STATE_DIR, _parse_intervals, _Section
from kiosk.config_paths import check_path
from kiosk.errors import ConfigError

DEFAULT_SINK = f"wav://{STATE_DIR}/announcements"
DEFAULT_CLIPS = f"{STATE_DIR}/clips"


def _opt(sec: _Section, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
    sec.seen.add(name)
    return default if name not in sec.data else sec.get(name, kind)


@dataclass(frozen=True, slots=True)
class AudioSpec:
    sink: str = DEFAULT_SINK  # "alsa" or "wav://DIR"
    device: str = "default"  # ALSA device for the alsa sink
    clips: Path = field(default_factory=lambda: Path(DEFAULT_CLIPS).expanduser())
    generate_missing: bool = True
    volume: int = 80
    quiet_hours: tuple[tuple[time, time | None], ...] = ()
    quiet_volume: int = 0  # 0: stay silent during quiet hours (the display still shows)
    repeat: int = 2  # "said, then repeated once"
    chime: bool = True
    gap_ms: int = 60
    pause_ms: int = 600
    max_queue: int = 20
    keep: int = 50
    realtime: bool = False


def parse(raw: Any) -> AudioSpec:
    sec = _Section(raw, "audio")

    def number(name: str, default: int, lo: int, hi: int) -> int:
        value = _opt(sec, name, int, default)
        if not lo <= value <= hi:
            raise ConfigError(sec.key(name), f"must be between {lo} and {hi}, got {value}")
        return value

    sink = _opt(sec, "sink", str, DEFAULT_SINK).strip()
    if sink != "alsa" and not (sink.startswith("wav://") and len(sink) > len("wav://")):
        raise ConfigError(sec.key("sink"), f"{sink!r} is not a known sink",
                          'use "alsa" for the speaker, or "wav:///some/dir" for files')
    device = _opt(sec, "device", str, "default").strip()
    if not device:
        raise ConfigError(sec.key("device"), "must not be empty", 'e.g. "default" or '
                          '"plughw:CARD=Headphones"')
    if sink.startswith("wav://"):
        check_path(sec.key("sink"), Path(sink.removeprefix("wav://")))
    clips = Path(_opt(sec, "clips", str, DEFAULT_CLIPS)).expanduser()
    check_path(sec.key("clips"), clips)
    quiet_raw = _opt(sec, "quiet_hours", list, [])
    spec = AudioSpec(
        sink=sink, device=device, clips=clips,
        generate_missing=_opt(sec, "generate_missing", bool, True),
        volume=number("volume", 80, 0, 100),
        quiet_hours=_parse_intervals(quiet_raw, sec.key("quiet_hours")),
        quiet_volume=number("quiet_volume", 0, 0, 100),
        repeat=number("repeat", 2, 1, 3), chime=_opt(sec, "chime", bool, True),
        gap_ms=number("gap_ms", 60, 0, 1000), pause_ms=number("pause_ms", 600, 0, 5000),
        max_queue=number("max_queue", 20, 1, 500), keep=number("keep", 50, 1, 100_000),
        realtime=_opt(sec, "realtime", bool, False),
    )
    sec.finish()
    return spec
