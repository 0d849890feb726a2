"""The ``[printer]`` table. Every key is documented in drivers/printer/__init__.py."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

import msgspec
from msgspec import Meta

from kiosk.config_defaults import DEFAULT_PRINTER_URL
from kiosk.config_model import Section, rule, set_field
from kiosk.errors import ConfigError

DEFAULT_URL = DEFAULT_PRINTER_URL
SCHEMES = ("usb", "serial", "tcp", "file", "dummy", "preview")
# python-escpos profiles of printers whose Epson ESC/POS reference lists GS ( D
# ("Enable/disable real-time command"). python-escpos's capabilities.json has no such
# feature, so this is our table; a printer without the command could print its bytes.
GS_PAREN_D_PROFILES = frozenset({
    "TM-L90", "TM-P80", "TM-P80-42col", "TM-T20II", "TM-T20II-42col", "TM-T88IV",
    "TM-T88V", "TM-U220", "TM-U220B",
})
# query parameters each scheme understands; anything else is a typo
_QUERY: dict[str, dict[str, type]] = {
    "usb": {"in_ep": int, "out_ep": int, "timeout": float},
    "serial": {"baudrate": int, "bytesize": int, "parity": str, "stopbits": int,
               "dsrdtr": bool, "xonxoff": bool, "timeout": float},
    "tcp": {"timeout": float},
    "file": {}, "dummy": {}, "preview": {},
}
_EXAMPLES = ("usb://0416:5011, serial:///dev/ttyS0?baudrate=19200, tcp://192.168.1.50:9100, "
             "file:///dev/usb/lp0, dummy:// or preview://DIR")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the printer is: a scheme and what that scheme needs to open it."""

    scheme: str
    target: str = ""  # host, device path or preview directory
    port: int = 0
    vendor: int = 0
    product: int = 0
    options: dict[str, Any] = field(default_factory=dict)


def _convert(name: str, value: str, kind: type, key: str) -> Any:
    try:
        if kind is bool:
            if value.lower() not in ("0", "1", "true", "false", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("1", "true", "yes")
        if kind is int:
            return int(value, 0)  # 0x82 and 130 both work for endpoints
        return kind(value)
    except ValueError:
        raise ConfigError(key, f"?{name}={value} is not a valid {kind.__name__}") from None


def parse_url(url: str, base: Path | None = None, key: str = "printer.url") -> Endpoint:
    """Parse a printer URL; ``base`` resolves a relative preview directory."""
    if "://" not in url:
        raise ConfigError(key, f"{url!r} is not a printer URL", f"use one of {_EXAMPLES}")
    scheme, rest = url.split("://", 1)
    if scheme not in SCHEMES:
        raise ConfigError(key, f"scheme {scheme!r} is not supported", f"use one of {_EXAMPLES}")
    if scheme == "preview":  # a plain directory; '~' and relative paths are allowed
        if not rest.strip():
            raise ConfigError(key, "preview:// needs a directory", "e.g. preview://~/tickets")
        path = Path(rest).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return Endpoint("preview", str(path))
    parts = urlsplit(url)
    allowed = _QUERY[scheme]
    options: dict[str, Any] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise ConfigError(key, f"?{name}= is not an option of {scheme}://",
                              f"known: {known}")
        options[name] = _convert(name, value, allowed[name], key)
    if "timeout" in options and not 0 < options["timeout"] <= 120:
        raise ConfigError(key, "?timeout= must be between 0 and 120 seconds")
    if scheme == "usb":
        m = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", parts.netloc)
        if not m:
            raise ConfigError(key, f"{parts.netloc!r} is not VID:PID",
                              "e.g. usb://0416:5011 (see `lsusb`)")
        if importlib.util.find_spec("usb") is None:
            raise ConfigError(key, "usb:// needs the pyusb library, which is not installed",
                              "install python3-usb / pyusb, or use file:///dev/usb/lp0")
        return Endpoint("usb", vendor=int(m[1], 16), product=int(m[2], 16), options=options)
    if scheme == "tcp":
        if not parts.hostname:
            raise ConfigError(key, "tcp:// needs a host", "e.g. tcp://192.168.1.50:9100")
        try:
            port = parts.port or 9100
        except ValueError:
            raise ConfigError(key, f"{parts.netloc!r} has an invalid port") from None
        return Endpoint("tcp", parts.hostname, port, options=options)
    if scheme in ("serial", "file"):
        if parts.netloc or not parts.path.startswith("/"):
            device = "ttyS0" if scheme == "serial" else "usb/lp0"
            raise ConfigError(key, f"{scheme}:// needs an absolute device path",
                              f"e.g. {scheme}:///dev/{device}")
        return Endpoint(scheme, parts.path, options=options)
    return Endpoint("dummy")


class PrinterSettings(Section, frozen=True, dict=True):
    url: str = DEFAULT_URL
    paper_width_mm: Literal[58, 80] = 80
    chinese_mode: Annotated[Literal["image", "gb18030"], rule(
        fix='use "gb18030" only if the self-test page lists a GB18030 font')] = "image"
    font: Annotated[Path, rule(fix="install fonts-noto-cjk and remove this key, or give the "
                                   "path of a .ttc/.otf/.ttf file")] | None = None
    qr: Annotated[str, rule("must be a text or URL of 1 to 300 characters",
                            "or remove the key", pattern=r"\S", max_length=300)] | None = None
    timeout_s: Annotated[float, Meta(gt=0, le=120)] = 5.0
    retry_initial_s: Annotated[float, Meta(gt=0, le=60)] = 1.0
    retry_max_s: Annotated[float, Meta(gt=0, le=600)] = 30.0
    profile: Annotated[str, rule(
        "{value!r} is not a python-escpos printer profile",
        'see `python-escpos` capabilities, e.g. "TM-T20II", or remove it')] | None = None
    # send GS ( D to disable real-time pulses during a job; None: as the profile says
    realtime_off: Annotated[bool, rule(fix="true only if the printer's manual lists "
                                           "GS ( D")] | None = None

    def __post_init__(self) -> None:
        for name in ("timeout_s", "retry_initial_s", "retry_max_s"):
            set_field(self, name, float(getattr(self, name)))
        if self.font is not None:
            font = self.font.expanduser()
            if not font.is_file():
                raise ConfigError("font", f"{str(self.font)!r} is not a font file",
                                  "install fonts-noto-cjk and remove this key, or give the "
                                  "path of a .ttc/.otf/.ttf file")
            set_field(self, "font", font)
        if self.retry_max_s < self.retry_initial_s:
            raise ConfigError("retry_max_s", "must not be less than retry_initial_s "
                              f"({self.retry_initial_s})")
        if self.profile is not None:
            from escpos.capabilities import CAPABILITIES  # heavy import: only when asked

            if self.profile not in CAPABILITIES["profiles"]:
                raise ConfigError("profile", f"{self.profile!r} is not a python-escpos "
                                  "printer profile", 'see `python-escpos` capabilities, e.g. '
                                  '"TM-T20II", or remove it')
        if self.realtime_off is None:
            set_field(self, "realtime_off", self.profile in GS_PAREN_D_PROFILES)
        self.endpoint  # noqa: B018 - checks the URL now, not at the first ticket

    @cached_property
    def endpoint(self) -> Endpoint:
        return parse_url(self.url, key="url")

    def resolved(self, base: Path | None) -> PrinterSettings:
        """These settings with a relative preview directory taken relative to ``base``."""
        ep = self.endpoint
        if base is None or ep.scheme != "preview" or Path(ep.target).is_absolute():
            return self
        copy = msgspec.structs.replace(self)
        copy.__dict__["endpoint"] = Endpoint("preview", str(base / ep.target))  # the cache
        return copy

    @property
    def io_timeout_s(self) -> float:
        """Per-operation timeout: the URL's ``?timeout=`` or else ``timeout_s``."""
        return float(self.endpoint.options.get("timeout", self.timeout_s))
