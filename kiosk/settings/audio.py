"""The ``[audio]`` table: the voice that calls tickets."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta, field

from kiosk.config_defaults import DEFAULT_CLIPS, DEFAULT_SINK
from kiosk.config_model import Interval, Intervals, Section, parse_intervals, rule, set_field
from kiosk.config_paths import check_path
from kiosk.errors import ConfigError

Percent = Annotated[int, Meta(ge=0, le=100)]


class AudioSpec(Section, frozen=True, dict=True):
    sink: str = DEFAULT_SINK  # "alsa" or "wav://DIR"
    device: Annotated[str, rule("must not be empty", 'e.g. "default" or '
                                '"plughw:CARD=Headphones"', pattern=r"\S")] = "default"
    # relative: to the config file's directory (the driver resolves it)
    clips: Path = field(default_factory=lambda: Path(DEFAULT_CLIPS).expanduser())
    generate_missing: bool = True
    volume: Percent = 80
    quiet_hours_text: Intervals = field(default=(), name="quiet_hours")
    quiet_volume: Percent = 0  # 0: stay silent during quiet hours (the display still shows)
    repeat: Annotated[int, Meta(ge=1, le=3)] = 2  # "said, then repeated once"
    chime: bool = True
    gap_ms: Annotated[int, Meta(ge=0, le=1000)] = 60
    pause_ms: Annotated[int, Meta(ge=0, le=5000)] = 600
    # a call that waited longer than this behind other announcements is skipped: the
    # display already showed it, and a stale call sends customers to the wrong counter
    max_late_s: Annotated[float, Meta(gt=0, le=600)] = 60.0
    keep: Annotated[int, Meta(ge=1, le=100_000)] = 50
    realtime: bool = False

    def __post_init__(self) -> None:
        sink, device = self.sink.strip(), self.device.strip()
        if sink != "alsa" and not (sink.startswith("wav://") and len(sink) > len("wav://")):
            raise ConfigError("sink", f"{sink!r} is not a known sink",
                              'use "alsa" for the speaker, or "wav:///some/dir" for files')
        if sink.startswith("wav://"):
            check_path("sink", Path(sink.removeprefix("wav://")))
        clips = self.clips.expanduser()
        check_path("clips", clips)
        for name, value in (("sink", sink), ("device", device), ("clips", clips)):
            set_field(self, name, value)
        self.quiet_hours  # noqa: B018 - checked now

    def resolved(self, base: Path | None) -> AudioSpec:
        """This section with a relative ``clips`` taken relative to ``base``."""
        if base is None or self.clips.is_absolute():
            return self
        return msgspec.structs.replace(self, clips=base / self.clips)

    @cached_property
    def quiet_hours(self) -> tuple[Interval, ...]:
        return parse_intervals(self.quiet_hours_text, "quiet_hours")
