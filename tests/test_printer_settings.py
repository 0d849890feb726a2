"""The [printer] table: defaults, URLs, and errors that name the key and the fix."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

import drivers.printer as printer
from drivers.printer import settings
from kiosk.errors import ConfigError


def error(raw: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        printer.validate(raw)
    return info.value


def test_absent_section_is_a_png_preview_in_the_state_dir() -> None:
    s = settings.parse(None)
    assert s.endpoint.scheme == "preview"
    assert s.endpoint.target == str(Path("~/.local/state/counter-kiosk/tickets").expanduser())
    assert (s.paper_width_mm, s.chinese_mode, s.timeout_s) == (80, "image", 5.0)


def test_every_setting_parses() -> None:
    s = settings.parse({
        "url": "tcp://10.0.0.5?timeout=2.5", "paper_width_mm": 58, "chinese_mode": "gb18030",
        "qr": "https://example.com", "timeout_s": 3, "retry_initial_s": 0.5,
        "retry_max_s": 10, "profile": "TM-T20II",
    })
    assert (s.endpoint.scheme, s.endpoint.target, s.endpoint.port) == ("tcp", "10.0.0.5", 9100)
    assert s.io_timeout_s == 2.5 and s.timeout_s == 3.0
    assert (s.paper_width_mm, s.chinese_mode, s.qr, s.profile) == (
        58, "gb18030", "https://example.com", "TM-T20II")


@pytest.mark.parametrize(("url", "scheme", "target", "options"), [
    ("serial:///dev/ttyS0?baudrate=19200&dsrdtr=false", "serial", "/dev/ttyS0",
     {"baudrate": 19200, "dsrdtr": False}),
    ("file:///dev/usb/lp0", "file", "/dev/usb/lp0", {}),
    ("tcp://printer.local:9101", "tcp", "printer.local", {}),
    ("dummy://", "dummy", "", {}),
])
def test_urls(url: str, scheme: str, target: str, options: dict[str, Any]) -> None:
    ep = settings.parse_url(url)
    assert (ep.scheme, ep.target, ep.options) == (scheme, target, options)


def test_relative_preview_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    assert settings.parse_url("preview://tickets", tmp_path).target == str(tmp_path / "tickets")


def test_usb_url(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "usb" else real(name, *a))
    ep = settings.parse_url("usb://0416:5011?in_ep=0x81&out_ep=0x03&timeout=2")
    assert (ep.vendor, ep.product) == (0x0416, 0x5011)
    assert ep.options == {"in_ep": 0x81, "out_ep": 0x03, "timeout": 2.0}


def test_usb_without_pyusb_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "usb" else real(name, *a))
    e = error({"url": "usb://0416:5011"})
    assert e.key == "printer.url" and "pyusb" in e.problem and "/dev/usb/lp0" in e.fix


@pytest.mark.parametrize(("raw", "key", "words"), [
    ({"colour": "red"}, "printer.colour", "not a known setting"),
    ({"url": "lpt://1"}, "printer.url", "not supported"),
    ({"url": "/dev/usb/lp0"}, "printer.url", "not a printer URL"),
    ({"url": "tcp://host?speed=9"}, "printer.url", "?speed="),
    ({"url": "serial:///dev/ttyS0?baudrate=fast"}, "printer.url", "not a valid int"),
    ({"url": "usb://zebra"}, "printer.url", "VID:PID"),
    ({"url": "file://dev/usb/lp0"}, "printer.url", "absolute device path"),
    ({"url": "tcp://:9100"}, "printer.url", "needs a host"),
    ({"paper_width_mm": 76}, "printer.paper_width_mm", "58 or 80"),
    ({"chinese_mode": "utf8"}, "printer.chinese_mode", "gb18030"),
    ({"font": "/nowhere/font.ttc"}, "printer.font", "not a font file"),
    ({"qr": ""}, "printer.qr", "1 to 300"),
    ({"timeout_s": "5"}, "printer.timeout_s", "must be a number"),
    ({"timeout_s": 0}, "printer.timeout_s", "more than 0"),
    ({"retry_initial_s": 5, "retry_max_s": 2}, "printer.retry_max_s", "retry_initial_s"),
    ({"profile": "NoSuchPrinter"}, "printer.profile", "not a python-escpos printer profile"),
    # found by fuzzing the config: these were TypeError tracebacks (unhashable)
    ({"profile": [1, "a"]}, "printer.profile", "not a python-escpos printer profile"),
    ({"profile": {"": 1}}, "printer.profile", "not a python-escpos printer profile"),
])
def test_errors_name_the_key(raw: dict[str, Any], key: str, words: str) -> None:
    e = error(raw)
    assert e.key == key
    assert words in str(e)


def test_realtime_off_must_be_a_boolean() -> None:
    err = error({"realtime_off": "yes"})
    assert "printer.realtime_off" in str(err) and "GS ( D" in str(err)


def test_gs_paren_d_profiles_are_python_escpos_profiles() -> None:
    from escpos.capabilities import CAPABILITIES

    assert set(CAPABILITIES["profiles"]) >= settings.GS_PAREN_D_PROFILES
