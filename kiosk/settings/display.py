"""The ``[[displays]]`` tables. See docs/counter-hardware.md for a commented example.

Keys that depend on the protocol (a CD5220 is a fixed 2x20 unit) default to "" or 0,
values the file cannot give, and are filled in ``__post_init__``; a cd5220 refuses the
keys that would silently do nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Annotated, Any, Literal

from msgspec import Meta, field

from kiosk.config_model import Section, pattern, rule, set_field
from kiosk.errors import ConfigError

PROTOCOLS = ("cd5220", "linetext")
ENCODINGS = ("ascii", "gb2312", "gb18030")
CHECKSUMS = ("none", "sum8", "xor8")
FLASH_STYLES = ("brightness", "blink")  # cd5220: ESC * n pulses, or the variant's US E n
LANGUAGES = ("zh", "en")
CD5220_FIXED = ("columns", "lines", "line_terminator", "address", "prefix", "checksum",
                "blink_code")


def _one_of(choices: Sequence[str], fix: str = "") -> Meta:
    return rule(f"{{value!r}} is not one of {', '.join(choices)}", fix,
                pattern=pattern("|".join(choices)))


def _hex(text: str | None, key: str) -> bytes:
    try:
        return bytes.fromhex(text or "")
    except ValueError:
        raise ConfigError(key, f"{text!r} is not hex bytes", 'e.g. "02 1B"') from None


class DisplaySpec(Section, frozen=True, dict=True):
    url: Annotated[str, rule("must not be empty", 'e.g. "/dev/serial/by-id/usb-...-port0" '
                             'or "loop://"', pattern=r"\S")]
    protocol: Annotated[Literal["cd5220", "linetext"], rule(
        "{value!r} is not supported", f"use one of {', '.join(PROTOCOLS)}")]
    name: Annotated[str, rule("{value!r} may only use letters, digits, _ and -",
                              pattern=pattern("[a-zA-Z0-9_-]{1,32}"))] = ""  # "": displayN
    counters_given: Annotated[
        Literal["all"] | tuple[Any, ...],  # checked below, so the key is "counters"
        rule("{value!r} is not a list of counter numbers",
             'use [3] for one counter\'s display, or "all" for the hall'),
    ] = field(default="all", name="counters")
    baudrate: Annotated[int, Meta(ge=300, le=921600)] = 9600
    language: Annotated[str, _one_of(LANGUAGES)] = ""  # "": en on a cd5220, else zh
    encoding: Annotated[str, _one_of(ENCODINGS)] = ""  # "": ascii for en, else gb2312
    idle_text: str | None = None  # None: the catalogue's display_idle
    flash: Annotated[int, Meta(ge=0, le=10)] = 2  # pulses after a call; 0 turns them off
    flash_ms: Annotated[int, Meta(ge=10, le=2000)] = 150
    flash_style: Annotated[str, _one_of(FLASH_STYLES, '"blink" only if the unit\'s command '
                                        'table lists US E n (1F 45 n)')] = ""
    brightness: Annotated[int, Meta(ge=1, le=4)] = 4
    columns: Annotated[int, Meta(ge=4, le=256)] = 0  # 0: 20 on a cd5220, else 24
    lines: Annotated[int, Meta(ge=1, le=2)] = 0  # 0: 2 on a cd5220, else 1
    terminator_text: str | None = field(default=None, name="line_terminator")
    address: Annotated[int, rule("must be a byte 0-255, got {value!r}", ge=0, le=255)] | None \
        = None
    prefix_hex: str | None = field(default=None, name="prefix")
    checksum: Annotated[str, _one_of(CHECKSUMS)] = ""
    blink_hex: str | None = field(default=None, name="blink_code")
    write_timeout_s: Annotated[float, Meta(ge=0.05, le=30.0)] = 1.0
    reconnect_s: Annotated[float, Meta(ge=0.05, le=600.0)] = 2.0

    def __post_init__(self) -> None:
        cd = self.protocol == "cd5220"
        if cd:  # a fixed 2x20 unit: refuse keys that would silently do nothing
            fixed = {"columns": self.columns != 0, "lines": self.lines != 0,
                     "checksum": self.checksum != "",
                     "line_terminator": self.terminator_text is not None,
                     "address": self.address is not None, "prefix": self.prefix_hex is not None,
                     "blink_code": self.blink_hex is not None}
            for key in CD5220_FIXED:
                if fixed[key]:
                    raise ConfigError(key, "does not apply to protocol cd5220",
                                      "remove it, or use protocol = \"linetext\"")
        elif self.flash_style:
            raise ConfigError("flash_style", "applies to protocol cd5220 only",
                              "remove it; a linetext board blinks with its blink_code")
        language = self.language or ("en" if cd else "zh")
        encoding = self.encoding or ("ascii" if language == "en" else "gb2312")
        if language == "zh" and encoding == "ascii":
            raise ConfigError("encoding", "ascii cannot show Chinese text",
                              'use "gb2312"/"gb18030", or language = "en"')
        if "\x00" in self.url:
            raise ConfigError("url", "contains a NUL character", "remove it")
        given = self.counters_given
        if given != "all" and (not given or not all(
                isinstance(c, int) and not isinstance(c, bool) for c in given)):
            raise ConfigError("counters", f"{list(given)!r} is not a list of counter numbers",
                              'use [3] for one counter\'s display, or "all" for the hall')
        for name, value in (("language", language), ("encoding", encoding),
                            ("flash_style", self.flash_style or "brightness"),
                            ("checksum", self.checksum or "none"),
                            ("columns", 20 if cd else self.columns or 24),
                            ("lines", 2 if cd else self.lines or 1),
                            ("write_timeout_s", float(self.write_timeout_s)),
                            ("reconnect_s", float(self.reconnect_s))):
            set_field(self, name, value)
        self.prefix, self.blink_code  # noqa: B018 - checks the hex now

    @cached_property
    def counters(self) -> tuple[int, ...] | None:
        """The counters shown; None: every counter (a hall display)."""
        return None if self.counters_given == "all" else tuple(self.counters_given)

    @cached_property
    def line_terminator(self) -> bytes:
        text = "\r\n" if self.terminator_text is None else self.terminator_text
        return text.encode("latin-1", "replace")

    @cached_property
    def prefix(self) -> bytes:
        return _hex(self.prefix_hex, "prefix")

    @cached_property
    def blink_code(self) -> bytes:
        return _hex(self.blink_hex, "blink_code")

    @property
    def is_hall(self) -> bool:
        return self.counters is None or len(self.counters) != 1


def check_displays(specs: Sequence[DisplaySpec]) -> tuple[DisplaySpec, ...]:
    """Name unnamed displays ``display<i>``; every name must be unique."""
    names: list[str] = []
    for i, spec in enumerate(specs):
        if not spec.name:
            set_field(spec, "name", f"display{i}")
        if spec.name in names:
            raise ConfigError(f"displays[{i}].name", f"{spec.name!r} is used by another display")
        names.append(spec.name)
    return tuple(specs)
