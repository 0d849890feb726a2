"""The ``[[displays]]`` config section, parsed into :class:`DisplaySpec`.

Each key is checked here so that a typo fails at start with the key's name, never at
the first call in the hall. See docs/counter-hardware.md for a commented example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kiosk.config import _Section
from kiosk.errors import ConfigError

PROTOCOLS = ("cd5220", "linetext")
ENCODINGS = ("ascii", "gb2312", "gb18030")
CHECKSUMS = ("none", "sum8", "xor8")
FLASH_STYLES = ("brightness", "blink")  # cd5220: ESC * n pulses, or the variant's US E n
LANGUAGES = ("zh", "en")
_MISSING = object()


def opt(sec: _Section, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
    """An optional key: ``default`` when absent, type-checked (and marked seen) when given."""
    sec.seen.add(name)
    return default if name not in sec.data else sec.get(name, kind)


def hex_bytes(sec: _Section, name: str) -> bytes:
    text = opt(sec, name, str, "")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ConfigError(sec.key(name), f"{text!r} is not hex bytes", 'e.g. "02 1B"') from None


@dataclass(frozen=True, slots=True)
class DisplaySpec:
    name: str
    url: str
    protocol: str
    counters: tuple[int, ...] | None  # None: every counter (a hall display)
    baudrate: int = 9600
    language: str = "zh"
    encoding: str = "gb2312"
    idle_text: str | None = None  # None: the catalogue's display_idle
    flash: int = 2  # brightness pulses after a call (cd5220); 0 turns them off
    flash_ms: int = 150
    flash_style: str = "brightness"
    brightness: int = 4
    columns: int = 20
    lines: int = 2
    line_terminator: bytes = b"\r\n"
    address: int | None = None
    prefix: bytes = b""
    checksum: str = "none"
    blink_code: bytes = b""
    write_timeout_s: float = 1.0
    reconnect_s: float = 2.0

    @property
    def is_hall(self) -> bool:
        return self.counters is None or len(self.counters) != 1


def _counters(sec: _Section) -> tuple[int, ...] | None:
    raw = opt(sec, "counters", (str, list), "all")
    if raw == "all":
        return None
    if isinstance(raw, str) or not raw or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in raw):
        raise ConfigError(sec.key("counters"), f"{raw!r} is not a list of counter numbers",
                          'use [3] for one counter\'s display, or "all" for the hall')
    return tuple(raw)


def parse_one(item: Any, i: int) -> DisplaySpec:
    sec = _Section(item, f"displays[{i}]")
    protocol = sec.text("protocol", f"one of {', '.join(PROTOCOLS)}")
    if protocol not in PROTOCOLS:
        raise ConfigError(sec.key("protocol"), f"{protocol!r} is not supported",
                          f"use one of {', '.join(PROTOCOLS)}")
    cd = protocol == "cd5220"
    name = opt(sec, "name", str, f"display{i}")
    if not re.fullmatch(r"[a-zA-Z0-9_-]{1,32}", name):
        raise ConfigError(sec.key("name"), f"{name!r} may only use letters, digits, _ and -")
    language = opt(sec, "language", str, "en" if cd else "zh")
    encoding = opt(sec, "encoding", str, "ascii" if language == "en" else "gb2312")
    for key, value, allowed in (("language", language, LANGUAGES),
                                ("encoding", encoding, ENCODINGS)):
        if value not in allowed:
            raise ConfigError(sec.key(key), f"{value!r} is not one of {', '.join(allowed)}")
    if language == "zh" and encoding == "ascii":
        raise ConfigError(sec.key("encoding"), "ascii cannot show Chinese text",
                          'use "gb2312"/"gb18030", or language = "en"')
    address = opt(sec, "address", int, None)
    if address is not None and not 0 <= address <= 255:
        raise ConfigError(sec.key("address"), f"must be a byte 0-255, got {address}")
    checksum = opt(sec, "checksum", str, "none")
    if checksum not in CHECKSUMS:
        raise ConfigError(sec.key("checksum"), f"{checksum!r} is not one of {CHECKSUMS}")
    flash_style = opt(sec, "flash_style", str, "brightness")
    if flash_style not in FLASH_STYLES:
        raise ConfigError(sec.key("flash_style"), f"{flash_style!r} is not one of "
                          f"{', '.join(FLASH_STYLES)}", '"blink" only if the unit\'s command '
                          'table lists US E n (1F 45 n)')
    if not cd and "flash_style" in sec.data:
        raise ConfigError(sec.key("flash_style"), "applies to protocol cd5220 only",
                          "remove it; a linetext board blinks with its blink_code")
    terminator = opt(sec, "line_terminator", str, "\r\n").encode("latin-1", "replace")

    def number(key: str, default: float, lo: float, hi: float) -> Any:
        value = opt(sec, key, (int, float) if isinstance(default, float) else int, default)
        if not lo <= value <= hi:
            raise ConfigError(sec.key(key), f"must be between {lo} and {hi}, got {value}")
        return value

    url = sec.text("url", 'e.g. "/dev/serial/by-id/usb-...-port0" or "loop://"')
    if "\x00" in url:
        raise ConfigError(sec.key("url"), "contains a NUL character", "remove it")
    spec = DisplaySpec(
        name=name, url=url,
        protocol=protocol, counters=_counters(sec),
        baudrate=number("baudrate", 9600, 300, 921600), language=language,
        encoding=encoding, idle_text=opt(sec, "idle_text", str, None),
        flash=number("flash", 2, 0, 10), flash_ms=number("flash_ms", 150, 10, 2000),
        flash_style=flash_style,
        brightness=number("brightness", 4, 1, 4),
        columns=20 if cd else number("columns", 24, 4, 256),
        lines=2 if cd else number("lines", 1, 1, 2),
        line_terminator=terminator, address=address, prefix=hex_bytes(sec, "prefix"),
        checksum=checksum, blink_code=hex_bytes(sec, "blink_code"),
        write_timeout_s=float(number("write_timeout_s", 1.0, 0.05, 30.0)),
        reconnect_s=float(number("reconnect_s", 2.0, 0.05, 600.0)),
    )
    if cd:  # a fixed 2x20 unit: refuse keys that would silently do nothing
        for key in ("columns", "lines", "line_terminator", "address", "prefix", "checksum",
                    "blink_code"):
            if key in sec.data:
                raise ConfigError(sec.key(key), "does not apply to protocol cd5220",
                                  "remove it, or use protocol = \"linetext\"")
    sec.finish()
    return spec


def parse(raw: Any) -> list[DisplaySpec]:
    if not isinstance(raw, list):
        raise ConfigError("displays", "must be a list of [[displays]] tables")
    specs = [parse_one(item, i) for i, item in enumerate(raw)]
    names = [s.name for s in specs]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigError(f"displays[{i}].name", f"{n!r} is used by another display")
    return specs
