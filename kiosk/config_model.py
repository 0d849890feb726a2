"""The configuration model: the typed sections of the TOML file, and :class:`Config`.

Each table of the file is a frozen :class:`msgspec.Struct` whose fields are its keys, so
msgspec checks types, ranges, choices and unknown keys (``forbid_unknown_fields``).
What a type cannot say is checked in ``__post_init__``, which raises
:class:`~kiosk.errors.ConfigError` with a key *relative to its table*; the loader
(:mod:`kiosk.config`) turns msgspec's ``$.displays[0].url`` paths into the dotted key.
``Meta(extra={"problem": ..., "fix": ...})`` gives a key its own wording.

This module is what the core imports (:class:`Config`, :class:`Branch`,
:class:`Service`, :class:`Counter`, :class:`Hours`); the hardware, MQTT and screen
sections live in :mod:`kiosk.settings`, which the core never needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta

from kiosk.config_defaults import WEEKDAYS
from kiosk.errors import ConfigError

if TYPE_CHECKING:
    from kiosk.settings import (
        AudioSpec,
        ButtonsSpec,
        DisplaySpec,
        MqttSettings,
        PrinterSettings,
        ReportSettings,
        UiSettings,
    )

Interval = tuple[time, time | None]  # None end = 24:00


class Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every table: immutable, and an unknown key is an error."""


def rule(problem: str = "", fix: str = "", **constraints: Any) -> Meta:
    """msgspec constraints plus the wording of their error; ``{value!r}`` is the value."""
    extra = {k: v for k, v in (("problem", problem), ("fix", fix)) if v}
    return Meta(**constraints, extra=extra or None)


def pattern(regex: str) -> str:
    """A whole-string pattern (msgspec searches; ``$`` would let a final newline in)."""
    return rf"\A(?:{regex})\Z"


Text = Annotated[str, rule("must not be empty", pattern=r"\S")]


def set_field(obj: msgspec.Struct, name: str, value: Any) -> None:
    """Fill a defaulted field of a frozen section while it is being checked."""
    msgspec.structs.force_setattr(obj, name, value)


def is_set(section: msgspec.Struct, name: str) -> bool:
    """Whether ``name`` was given (TOML has no null, so None means "left out")."""
    return getattr(section, name) is not None


_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_intervals(items: Sequence[str], key: str) -> tuple[Interval, ...]:
    """``["08:30-12:00", "13:00-17:00"]`` as times, in order and without overlap."""
    out: list[Interval] = []
    for i, item in enumerate(items):
        m = _INTERVAL.match(item)
        if not m:
            raise ConfigError(f"{key}[{i}]", f"{item!r} is not \"HH:MM-HH:MM\"",
                              'e.g. "08:30-17:00"')
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ConfigError(f"{key}[{i}]", f"{item!r} is not a valid time range")
        start, end = time(h1, m1), None if h2 == 24 else time(h2, m2)
        if end is not None and end <= start:
            raise ConfigError(f"{key}[{i}]", f"{item!r} closes before it opens",
                              "overnight opening is not supported; use 24:00 as the end")
        previous = out[-1][1] if out else time.min
        if previous is None or start < previous:
            raise ConfigError(f"{key}[{i}]", "overlaps or comes before the previous interval",
                              "list intervals in time order without overlap")
        out.append((start, end))
    return tuple(out)


Intervals = Annotated[tuple[str, ...], rule(fix='e.g. ["08:30-17:00"]')]


# ------------------------------------------------------------------ what the core reads


class Document(Section, frozen=True):
    zh: Text
    en: Text


class Service(Section, frozen=True):
    prefix: Annotated[str, rule("{value!r} must be one capital letter A-Z",
                                pattern=pattern("[A-Z]"))]
    name_zh: Text
    name_en: Text
    avg_minutes: Annotated[float, Meta(gt=0, le=240)]
    documents: tuple[Document, ...]


ServiceRef = Annotated[str, rule("{value!r} is not a configured service")]


class Counter(Section, frozen=True):
    id: Annotated[int, Meta(ge=1, le=999)]
    services: Annotated[tuple[ServiceRef, ...],
                        rule("must list at least one service prefix", min_length=1)]
    policy: Literal["fifo", "preference"] = "fifo"
    start: Literal["open", "paused", "closed"] = "open"

    def __post_init__(self) -> None:
        if len(set(self.services)) != len(self.services):
            raise ConfigError("services", "lists a service twice")


class Rules(Section, frozen=True):
    """The ``[queue]`` table."""

    number_digits: Annotated[int, Meta(ge=1, le=6)] = 3
    max_recalls: Annotated[int, Meta(ge=0, le=10)] = 2
    priority_streak_limit: Annotated[int, Meta(ge=1, le=100)] = 2
    priority_reasons: Annotated[
        tuple[Annotated[str, rule(pattern=pattern("[a-z_]+"))], ...],
        rule("must be a non-empty list of lower-case codes",
             'e.g. ["elderly", "disabled", "urgent"]', min_length=1),
    ] = ("elderly", "disabled", "urgent")
    rating_window_s: Annotated[int, Meta(ge=10, le=3600)] = 120


class Branch(Section, frozen=True, dict=True):
    name_zh: Text
    name_en: Text
    device_id: Annotated[str, rule("{value!r} may only use letters, digits, '_' and '-'",
                                   "it becomes part of MQTT topics",
                                   pattern=pattern("[a-zA-Z0-9_-]{1,64}"))]
    timezone: Text
    hotline: Annotated[str, rule('must be a phone number as text, e.g. "95500"',
                                 max_length=40)] = ""
    code: Annotated[str, rule("{value!r} may only use a-z, 0-9 and '-'",
                              'it becomes part of MQTT topics, e.g. "sh-east"',
                              pattern=pattern("[a-z0-9-]{1,32}"))] = "demo"

    def __post_init__(self) -> None:
        set_field(self, "hotline", self.hotline.strip())
        try:
            if len(self.timezone) > 64:  # the longest IANA name is about 30 characters
                raise ValueError(self.timezone)
            self.tz  # noqa: B018 - resolved once here: every command needs it
        except (ZoneInfoNotFoundError, ValueError, OSError):
            # OSError: "Asia" is a directory of the zone database
            raise ConfigError("timezone", f"{self.timezone[:64]!r} is not a known time zone",
                              'use an IANA name such as "Asia/Shanghai"') from None

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Hours:
    """Opening intervals per weekday (0 = Monday), holidays and dated overrides."""

    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    # dated overrides as sorted (date, intervals) pairs: a tuple keeps Hours hashable, so
    # the opening instants of a day can be cached (kiosk.core.hours)
    special: tuple[tuple[date, tuple[Interval, ...]], ...] = ()

    def intervals(self, day: date) -> tuple[Interval, ...]:
        for d, iv in self.special:
            if d == day:
                return iv
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]


Day = Annotated[date, rule("{value!r} is not a date", 'use "YYYY-MM-DD"')]


class HoursTable(Section, frozen=True, dict=True):
    """The ``[hours]`` table, read into :class:`Hours`."""

    mon: Intervals
    tue: Intervals
    wed: Intervals
    thu: Intervals
    fri: Intervals
    sat: Intervals
    sun: Intervals
    holidays: tuple[Day, ...] = ()
    special: dict[str, Intervals] = {}

    def __post_init__(self) -> None:
        if not any(self.hours.weekly):
            raise ConfigError("", "the branch is never open", "give opening hours for at "
                              "least one weekday, e.g. mon = [\"08:30-17:00\"]")

    @cached_property
    def hours(self) -> Hours:
        special = []
        for k, v in self.special.items():
            try:
                day = date.fromisoformat(k)
            except ValueError:
                raise ConfigError(f"special.{k}", f"{k!r} is not a date",
                                  'use "YYYY-MM-DD"') from None
            special.append((day, parse_intervals(v, f"special.{k}")))
        return Hours(weekly=tuple(parse_intervals(getattr(self, d), d) for d in WEEKDAYS),
                     holidays=frozenset(self.holidays), special=tuple(sorted(special)))


class ClockTable(Section, frozen=True):
    require_sync: bool = False
    sync_flag: Text = "/run/systemd/timesync/synchronized"


class StorageTable(Section, frozen=True):
    path: Text
    # copies made by `kiosk backup` (daily by counter-kiosk-backup.timer) that are kept
    backups_keep: Annotated[int, rule("must be between 1 and 365, got {value!r}",
                                      "e.g. 7: a week of daily copies", ge=1, le=365)] = 7


class ControlTable(Section, frozen=True):
    socket: Text


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration as the kiosk uses it: checked, paths resolved."""

    branch: Branch
    rules: Rules
    hours: Hours
    services: dict[str, Service]
    counters: dict[int, Counter]
    storage_path: Path
    socket_path: Path
    mqtt: MqttSettings
    ui: UiSettings
    require_sync: bool = False
    sync_flag: Path = Path("/run/systemd/timesync/synchronized")
    backups_keep: int = 7  # [storage] backups_keep
    drivers: dict[str, Any] = field(default_factory=dict)  # hardware tables as written
    source: Path | None = None
    serving: dict[str, tuple[int, ...]] = field(default_factory=dict)  # derived in __post_init__
    # each driver's section, checked; None: absent, the driver runs its stand-in
    printer: PrinterSettings | None = None
    displays: tuple[DisplaySpec, ...] | None = None
    buttons: ButtonsSpec | None = None
    audio: AudioSpec | None = None
    report: ReportSettings | None = None  # None: the [report] defaults

    def __post_init__(self) -> None:
        by_service = {
            s: tuple(c.id for c in self.counters.values() if s in c.services)
            for s in self.services
        }
        object.__setattr__(self, "serving", by_service)

    def counters_for(self, service: str) -> tuple[int, ...]:
        return self.serving.get(service, ())


def dec_hook(kind: type, value: Any) -> Any:
    """How msgspec reads the types it does not know: ``Path``, and any class with a
    ``from_config(text)`` classmethod. Their errors name the key like any other."""
    if not isinstance(value, str):
        raise TypeError(f"Expected `str`, got `{type(value).__name__}`")
    if kind is Path:
        if not value.strip():
            raise ValueError("must not be empty")
        return Path(value)
    if hasattr(kind, "from_config"):
        return kind.from_config(value)
    raise NotImplementedError(kind)
