"""The ``[mqtt]`` and ``[ui]`` sections, checked now although their features come later.

Every key is optional; unknown keys are errors like everywhere else, so a typo such as
``brokr`` is caught by ``kiosk check-config`` today, not silently ignored until the
feature that reads it arrives.

::

    [mqtt]
    url = "mqtts://broker.branch.example:8883"   # absent: MQTT off
    prefix = "kiosk"                # topics: <prefix>/<branch.code>/<device_id>/...
    username = "kiosk-east-01"
    password_file = "/etc/counter-kiosk/mqtt.pass"

    [ui]
    customer_size = "1080x1920"
    rotation = 90
    staff_pin_hash = "scrypt$16384$8$1$...$..."  # kiosk hash-pin
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiosk import staffpin
from kiosk.config_paths import check_path
from kiosk.errors import ConfigError
from kiosk.messages import FORBIDDEN_PHRASES

if TYPE_CHECKING:
    from kiosk.config import _Section

MQTT_SCHEMES = {"mqtt": 1883, "mqtts": 8883}
ROTATIONS = (0, 90, 180, 270)


@dataclass(frozen=True, slots=True)
class MqttSettings:
    url: str | None = None  # None: MQTT off
    host: str = ""
    port: int = 0
    tls: bool = False
    prefix: str = "kiosk"
    keepalive_s: int = 30
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    discovery: bool = True
    outbox_keep_days: int = 30
    outbox_alarm: int = 1000

    @property
    def enabled(self) -> bool:
        return self.url is not None


@dataclass(frozen=True, slots=True)
class UiSettings:
    customer_size: tuple[int, int] | None = None  # None: the screen's own size
    hall_size: tuple[int, int] | None = None
    staff_size: tuple[int, int] | None = None
    fullscreen: bool = False
    rotation: int = 0
    idle_timeout_s: int = 60
    courtesy_zh: str | None = None  # None: the catalogue's wording
    courtesy_en: str | None = None
    staff_pin_hash: str | None = None  # None: the staff page is locked
    font: Path | None = None


def _opt(sec: _Section, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
    sec.seen.add(name)
    return default if name not in sec.data else sec.get(name, kind)


def _number(sec: _Section, name: str, default: int, lo: int, hi: int) -> int:
    value = _opt(sec, name, int, default)
    if not lo <= value <= hi:
        raise ConfigError(sec.key(name), f"must be between {lo} and {hi}, got {value}")
    return value


def _file(sec: _Section, name: str, base: Path | None, fix: str) -> Path | None:
    text = _opt(sec, name, str, None)
    if text is None:
        return None
    if not text.strip():
        raise ConfigError(sec.key(name), "must not be empty", fix)
    path = Path(text).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    check_path(sec.key(name), path)
    return path


def _url(sec: _Section) -> tuple[str | None, str, int, bool]:
    url = _opt(sec, "url", str, None)
    if url is None:
        return None, "", 0, False
    fix = 'e.g. "mqtts://broker.example:8883", or leave url out to turn MQTT off'
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(sec.key("url"), f"{url!r} has a bad port", fix) from None
    if parts.scheme not in MQTT_SCHEMES or not parts.hostname:
        raise ConfigError(sec.key("url"), f"{url!r} is not mqtt://host:port or "
                          "mqtts://host:port", fix)
    if parts.username or parts.password:
        raise ConfigError(sec.key("url"), "must not hold a user name or password",
                          "use mqtt.username and mqtt.password_file")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(sec.key("url"), f"{url!r} has a path or query", fix)
    return url.strip(), parts.hostname, port or MQTT_SCHEMES[parts.scheme], \
        parts.scheme == "mqtts"


def parse_mqtt(sec: _Section, base: Path | None) -> MqttSettings:
    url, host, port, tls = _url(sec)
    prefix = _opt(sec, "prefix", str, "kiosk")
    if not re.fullmatch(r"[a-z0-9_-]{1,32}", prefix):
        raise ConfigError(sec.key("prefix"), f"{prefix!r} may only use a-z, 0-9, _ and -",
                          "it is the first level of every MQTT topic")
    username = _opt(sec, "username", str, None)
    if username is not None and not username.strip():
        raise ConfigError(sec.key("username"), "must not be empty", "leave it out for a "
                          "broker without log-in")
    files = {k: _file(sec, k, base, f"the path of the {what}") for k, what in (
        ("password_file", "file holding the MQTT password"),
        ("ca_file", "CA certificate (PEM)"), ("cert_file", "client certificate (PEM)"),
        ("key_file", "client key (PEM)"))}
    if files["password_file"] and username is None:
        raise ConfigError(sec.key("password_file"), "is set without mqtt.username",
                          "add username = \"...\"")
    if (files["cert_file"] is None) != (files["key_file"] is None):
        missing = "key_file" if files["key_file"] is None else "cert_file"
        raise ConfigError(sec.key(missing), "is missing", "a client certificate needs "
                          "both cert_file and key_file")
    for k in ("ca_file", "cert_file", "key_file"):
        if files[k] is not None and url is not None and not tls:
            raise ConfigError(sec.key(k), "needs TLS", 'use an "mqtts://" url')
    settings = MqttSettings(
        url=url, host=host, port=port, tls=tls, prefix=prefix,
        keepalive_s=_number(sec, "keepalive_s", 30, 5, 3600), username=username,
        discovery=_opt(sec, "discovery", bool, True),
        outbox_keep_days=_number(sec, "outbox_keep_days", 30, 1, 3650),
        outbox_alarm=_number(sec, "outbox_alarm", 1000, 1, 10_000_000), **files)
    sec.finish()
    return settings


def _size(sec: _Section, name: str) -> tuple[int, int] | None:
    text = _opt(sec, name, str, None)
    if text is None:
        return None
    m = re.fullmatch(r"(\d{2,5})x(\d{2,5})", text.strip())
    w, h = (int(m[1]), int(m[2])) if m else (0, 0)
    if not (100 <= w <= 8192 and 100 <= h <= 8192):
        raise ConfigError(sec.key(name), f"{text!r} is not a screen size \"WxH\"",
                          'e.g. "1080x1920", each side 100-8192 pixels')
    return w, h


def _courtesy(sec: _Section, name: str) -> str | None:
    text = _opt(sec, name, str, None)
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > 200:
        raise ConfigError(sec.key(name), "must be 1-200 characters", "or leave it out for "
                          "the standard wording")
    for phrase in FORBIDDEN_PHRASES:
        if phrase in text:
            raise ConfigError(sec.key(name), f"contains {phrase!r}, a phrase the service "
                              "norms forbid", "say what the customer can do instead, "
                              "e.g. 请稍候 / 谢谢")
    return text


def parse_ui(sec: _Section, base: Path | None) -> UiSettings:
    rotation = _opt(sec, "rotation", int, 0)
    if rotation not in ROTATIONS:
        raise ConfigError(sec.key("rotation"), f"{rotation} is not 0, 90, 180 or 270")
    pin_hash = _opt(sec, "staff_pin_hash", str, None)
    if pin_hash is not None and (why := staffpin.problem(pin_hash)):
        raise ConfigError(sec.key("staff_pin_hash"), why, staffpin.HOW)
    settings = UiSettings(
        customer_size=_size(sec, "customer_size"), hall_size=_size(sec, "hall_size"),
        staff_size=_size(sec, "staff_size"), fullscreen=_opt(sec, "fullscreen", bool, False),
        rotation=rotation, idle_timeout_s=_number(sec, "idle_timeout_s", 60, 5, 3600),
        courtesy_zh=_courtesy(sec, "courtesy_zh"), courtesy_en=_courtesy(sec, "courtesy_en"),
        staff_pin_hash=pin_hash, font=_file(sec, "font", base, "the path of a CJK font file"),
    )
    sec.finish()
    return settings
