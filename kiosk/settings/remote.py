"""The ``[mqtt]`` and ``[ui]`` tables, checked now although their features come later.

Every key is optional; unknown keys are errors like everywhere else, so a typo such as
``brokr`` is caught by ``kiosk check-config`` today, not silently ignored until the
feature that reads it arrives. Relative file paths are taken relative to the config
file by the loader.

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

    [[ui.elsewhere]]                 # a service not offered here: where it is
    name_zh = "车险理赔定损"
    name_en = "Motor claim assessment"
    where_zh = "城西支公司（西湖路 8 号）"
    where_en = "the West branch, 8 Xihu Road"
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from msgspec import Meta

from kiosk import staffpin
from kiosk.config_model import Section, pattern, rule, set_field
from kiosk.config_paths import check_path
from kiosk.errors import ConfigError
from kiosk.messages import FORBIDDEN_PHRASES

MQTT_SCHEMES = {"mqtt": 1883, "mqtts": 8883}
ROTATIONS = (0, 90, 180, 270)
_URL_FIX = 'e.g. "mqtts://broker.example:8883", or leave url out to turn MQTT off'


PasswordFile = Annotated[Path, rule(fix="the path of the file holding the MQTT password")]
CaFile = Annotated[Path, rule(fix="the path of the CA certificate (PEM)")]
CertFile = Annotated[Path, rule(fix="the path of the client certificate (PEM)")]
KeyFile = Annotated[Path, rule(fix="the path of the client key (PEM)")]
FontFile = Annotated[Path, rule(fix="the path of a CJK font file")]


class MqttSettings(Section, frozen=True, dict=True):
    url: str | None = None  # None: MQTT off
    prefix: Annotated[str, rule("{value!r} may only use a-z, 0-9, _ and -",
                                "it is the first level of every MQTT topic",
                                pattern=pattern("[a-z0-9_-]{1,32}"))] = "kiosk"
    keepalive_s: Annotated[int, Meta(ge=5, le=3600)] = 30
    username: Annotated[str, rule("must not be empty", "leave it out for a broker without "
                                  "log-in", pattern=r"\S")] | None = None
    password_file: PasswordFile | None = None
    ca_file: CaFile | None = None
    cert_file: CertFile | None = None
    key_file: KeyFile | None = None
    discovery: bool = True
    outbox_keep_days: Annotated[int, Meta(ge=1, le=3650)] = 30
    outbox_alarm: Annotated[int, Meta(ge=1, le=10_000_000)] = 1000

    def __post_init__(self) -> None:
        if self.url is not None:
            set_field(self, "url", self.url.strip())
            self.host  # noqa: B018 - checks the URL now
        files = ("password_file", "ca_file", "cert_file", "key_file")
        for name in files:
            if (path := getattr(self, name)) is not None:
                check_path(name, path)
        if self.password_file and self.username is None:
            raise ConfigError("password_file", "is set without mqtt.username",
                              "add username = \"...\"")
        if (self.cert_file is None) != (self.key_file is None):
            missing = "key_file" if self.key_file is None else "cert_file"
            raise ConfigError(missing, "is missing", "a client certificate needs both "
                              "cert_file and key_file")
        for name in files[1:]:
            if getattr(self, name) is not None and self.url is not None and not self.tls:
                raise ConfigError(name, "needs TLS", 'use an "mqtts://" url')

    @property
    def enabled(self) -> bool:
        return self.url is not None

    @cached_property
    def _endpoint(self) -> tuple[str, int, bool]:
        if self.url is None:
            return "", 0, False
        try:
            parts = urlsplit(self.url)
            port = parts.port
        except ValueError:
            raise ConfigError("url", f"{self.url!r} has a bad port", _URL_FIX) from None
        if parts.scheme not in MQTT_SCHEMES or not parts.hostname:
            raise ConfigError("url", f"{self.url!r} is not mqtt://host:port or "
                              "mqtts://host:port", _URL_FIX)
        if parts.username or parts.password:
            raise ConfigError("url", "must not hold a user name or password",
                              "use mqtt.username and mqtt.password_file")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ConfigError("url", f"{self.url!r} has a path or query", _URL_FIX)
        return parts.hostname, port or MQTT_SCHEMES[parts.scheme], parts.scheme == "mqtts"

    @property
    def host(self) -> str:
        return self._endpoint[0]

    @property
    def port(self) -> int:
        return self._endpoint[1]

    @property
    def tls(self) -> bool:
        return self._endpoint[2]


class ScreenSize(tuple[int, int]):
    """``"1080x1920"`` in the file, ``(1080, 1920)`` in the model."""

    @classmethod
    def from_config(cls, text: str) -> ScreenSize:
        m = re.fullmatch(r"(\d{2,5})x(\d{2,5})", text.strip())
        w, h = (int(m[1]), int(m[2])) if m else (0, 0)
        if not (100 <= w <= 8192 and 100 <= h <= 8192):
            raise ValueError(f"{text!r} is not a screen size \"WxH\"")
        return cls((w, h))


Size = Annotated[ScreenSize, rule(fix='e.g. "1080x1920", each side 100-8192 pixels')]
Courtesy = Annotated[str, rule("must be 1-200 characters", "or leave it out for the "
                               "standard wording", pattern=r"(?s)\A\s*\S.{0,199}\Z")]


ElseText = Annotated[str, rule("must be 1-60 characters", pattern=r"(?s)\A\s*\S.{0,59}\Z")]


class Elsewhere(Section, frozen=True):
    """A service this branch does not offer, listed on the customer screen: touching it
    apologises and says where it is offered (``[[ui.elsewhere]]``)."""

    name_zh: ElseText
    name_en: ElseText
    where_zh: ElseText  # e.g. "城西支公司（西湖路 8 号）"
    where_en: ElseText

    def __post_init__(self) -> None:
        for name in ("name_zh", "name_en", "where_zh", "where_en"):
            set_field(self, name, getattr(self, name).strip())
            _polite(name, getattr(self, name))


def _polite(key: str, text: str) -> None:
    for phrase in FORBIDDEN_PHRASES:
        if phrase in text:
            raise ConfigError(key, f"contains {phrase!r}, a phrase the service norms "
                              "forbid", "say what the customer can do instead, e.g. 请稍候 / 谢谢")


FollowId = Annotated[str, rule("{value!r} may only use letters, digits, '_' and '-'",
                               "the device_id of the kiosk this hall board follows",
                               pattern=pattern("[a-zA-Z0-9_-]{1,64}"))]


class UiSettings(Section, frozen=True):
    customer_size: Size | None = None  # None: the screen's own size
    hall_size: Size | None = None
    staff_size: Size | None = None
    fullscreen: bool = False
    rotation: Literal[0, 90, 180, 270] = 0
    idle_timeout_s: Annotated[int, Meta(ge=5, le=3600)] = 60
    courtesy_zh: Courtesy | None = None  # None: the catalogue's wording
    courtesy_en: Courtesy | None = None
    staff_pin_hash: str | None = None  # None: the staff page is locked
    font: FontFile | None = None
    # the hall board: how long a new call is highlighted, and (kiosk ui --mode hall
    # --mqtt) which kiosk of this branch it follows; None: this config's device_id
    hall_highlight_s: Annotated[int, Meta(ge=1, le=30)] = 6
    hall_follow: FollowId | None = None
    # the hall board shows today's satisfaction rate and average wait (公示): the branch
    # decides whether its results are public, so it is off until switched on
    hall_public_summary: bool = False
    elsewhere: Annotated[tuple[Elsewhere, ...], rule(
        "may list at most 6 services", max_length=6)] = ()  # not offered here

    def __post_init__(self) -> None:
        if self.staff_pin_hash is not None and (why := staffpin.problem(self.staff_pin_hash)):
            raise ConfigError("staff_pin_hash", why, staffpin.HOW)
        for name in ("courtesy_zh", "courtesy_en"):
            text = getattr(self, name)
            if text is None:
                continue
            set_field(self, name, text.strip())
            _polite(name, text)
        if self.font is not None:
            check_path("font", self.font)
