"""The ``[printer]`` table: parsed once, checked key by key.

Every problem raises :class:`~kiosk.errors.ConfigError` naming ``printer.<key>`` and the
fix. Unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kiosk.errors import ConfigError

DEFAULT_URL = "preview://~/.local/state/counter-kiosk/tickets"
SCHEMES = ("usb", "serial", "tcp", "file", "dummy", "preview")
MODES = ("image", "gb18030")
WIDTHS = (58, 80)
KEYS = ("url", "paper_width_mm", "chinese_mode", "font", "qr", "timeout_s",
        "retry_initial_s", "retry_max_s", "profile", "realtime_off")
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


@dataclass(frozen=True, slots=True)
class PrinterSettings:
    url: str = DEFAULT_URL
    endpoint: Endpoint = field(default_factory=lambda: parse_url(DEFAULT_URL))
    paper_width_mm: int = 80
    chinese_mode: str = "image"
    font: Path | None = None
    qr: str | None = None
    timeout_s: float = 5.0
    retry_initial_s: float = 1.0
    retry_max_s: float = 30.0
    profile: str | None = None
    realtime_off: bool = False  # send GS ( D to disable real-time pulses during a job

    @property
    def io_timeout_s(self) -> float:
        """Per-operation timeout: the URL's ``?timeout=`` or else ``timeout_s``."""
        return float(self.endpoint.options.get("timeout", self.timeout_s))


def _bad(key: str, problem: str, fix: str = "") -> ConfigError:
    return ConfigError(f"printer.{key}", problem, fix)


def _convert(name: str, value: str, kind: type) -> Any:
    try:
        if kind is bool:
            if value.lower() not in ("0", "1", "true", "false", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("1", "true", "yes")
        if kind is int:
            return int(value, 0)  # 0x82 and 130 both work for endpoints
        return kind(value)
    except ValueError:
        raise _bad("url", f"?{name}={value} is not a valid {kind.__name__}") from None


def parse_url(url: str, base: Path | None = None) -> Endpoint:
    """Parse a printer URL; ``base`` resolves a relative preview directory."""
    if not isinstance(url, str) or "://" not in url:
        raise _bad("url", f"{url!r} is not a printer URL", f"use one of {_EXAMPLES}")
    scheme, rest = url.split("://", 1)
    if scheme not in SCHEMES:
        raise _bad("url", f"scheme {scheme!r} is not supported", f"use one of {_EXAMPLES}")
    if scheme == "preview":  # a plain directory; '~' and relative paths are allowed
        if not rest.strip():
            raise _bad("url", "preview:// needs a directory", "e.g. preview://~/tickets")
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
            raise _bad("url", f"?{name}= is not an option of {scheme}://", f"known: {known}")
        options[name] = _convert(name, value, allowed[name])
    if "timeout" in options and not 0 < options["timeout"] <= 120:
        raise _bad("url", "?timeout= must be between 0 and 120 seconds")
    if scheme == "usb":
        m = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", parts.netloc)
        if not m:
            raise _bad("url", f"{parts.netloc!r} is not VID:PID", "e.g. usb://0416:5011 "
                       "(see `lsusb`)")
        if importlib.util.find_spec("usb") is None:
            raise _bad("url", "usb:// needs the pyusb library, which is not installed",
                       "install python3-usb / pyusb, or use file:///dev/usb/lp0")
        return Endpoint("usb", vendor=int(m[1], 16), product=int(m[2], 16), options=options)
    if scheme == "tcp":
        if not parts.hostname:
            raise _bad("url", "tcp:// needs a host", "e.g. tcp://192.168.1.50:9100")
        try:
            port = parts.port or 9100
        except ValueError:
            raise _bad("url", f"{parts.netloc!r} has an invalid port") from None
        return Endpoint("tcp", parts.hostname, port, options=options)
    if scheme in ("serial", "file"):
        if parts.netloc or not parts.path.startswith("/"):
            raise _bad("url", f"{scheme}:// needs an absolute device path",
                       f"e.g. {scheme}:///dev/{'ttyS0' if scheme == 'serial' else 'usb/lp0'}")
        return Endpoint(scheme, parts.path, options=options)
    return Endpoint("dummy")


def _number(raw: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(key, f"must be a number, got {type(value).__name__}")
    if not lo < value <= hi:
        raise _bad(key, f"must be more than {lo} and at most {hi}, got {value}")
    return float(value)


def parse(raw: dict[str, Any] | None, base: Path | None = None) -> PrinterSettings:
    """Check the raw ``[printer]`` table (``None``: absent) and build the settings."""
    if raw is None:
        return PrinterSettings(endpoint=parse_url(DEFAULT_URL, base))
    if not isinstance(raw, dict):
        raise ConfigError("printer", f"must be a table, got {type(raw).__name__}")
    extra = sorted(set(raw) - set(KEYS))
    if extra:
        raise _bad(extra[0], "is not a known setting", f"known: {', '.join(KEYS)}")
    url = raw.get("url", DEFAULT_URL)
    width = raw.get("paper_width_mm", 80)
    if width not in WIDTHS or isinstance(width, bool):
        raise _bad("paper_width_mm", f"must be 58 or 80, got {width!r}")
    mode = raw.get("chinese_mode", "image")
    if mode not in MODES:
        raise _bad("chinese_mode", f"must be \"image\" or \"gb18030\", got {mode!r}",
                   "use \"gb18030\" only if the self-test page lists a GB18030 font")
    font = raw.get("font")
    if font is not None:
        if not isinstance(font, str) or not Path(font).expanduser().is_file():
            raise _bad("font", f"{font!r} is not a font file", "install fonts-noto-cjk and "
                       "remove this key, or give the path of a .ttc/.otf/.ttf file")
        font = Path(font).expanduser()
    qr = raw.get("qr")
    if qr is not None and (not isinstance(qr, str) or not qr.strip() or len(qr) > 300):
        raise _bad("qr", "must be a text or URL of 1 to 300 characters", "or remove the key")
    initial = _number(raw, "retry_initial_s", 1.0, 0, 60)
    ceiling = _number(raw, "retry_max_s", 30.0, 0, 600)
    if ceiling < initial:
        raise _bad("retry_max_s", f"must not be less than retry_initial_s ({initial})")
    profile = raw.get("profile")
    if profile is not None:
        from escpos.capabilities import CAPABILITIES  # heavy import: only when asked

        if not isinstance(profile, str) or profile not in CAPABILITIES["profiles"]:
            raise _bad("profile", f"{profile!r} is not a python-escpos printer profile",
                       "see `python-escpos` capabilities, e.g. \"TM-T20II\", or remove it")
    realtime_off = raw.get("realtime_off", profile in GS_PAREN_D_PROFILES)
    if not isinstance(realtime_off, bool):
        raise _bad("realtime_off", f"must be true or false, got {realtime_off!r}",
                   "true only if the printer's manual lists GS ( D")
    return PrinterSettings(
        url=url, endpoint=parse_url(url, base), paper_width_mm=width, chinese_mode=mode,
        font=font, qr=qr, timeout_s=_number(raw, "timeout_s", 5.0, 0, 120),
        retry_initial_s=initial, retry_max_s=ceiling, profile=profile,
        realtime_off=realtime_off,
    )
