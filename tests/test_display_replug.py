"""A display that is unplugged and plugged back in - under another device name, found
through a stable by-id link - is reopened and redrawn without anyone's help; its status
changes are reported once each. Also: configuration errors name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

import drivers.display as display
from drivers.display import build_one, parse, validate
from kiosk.commands import ReportDevice
from kiosk.errors import ConfigError
from tests.hw_fakes import Pty, Recorder, event, status
from tests.support import driver_parts, make_config, wait_for

HELLO = b"\x1b@\x0c\x0b\x1b\x11\x1b*\x04"


def cd(upper: bytes, lower: bytes = b"") -> bytes:
    return b"\x1bQA" + upper.ljust(20) + b"\r" + b"\x1bQB" + lower.ljust(20) + b"\r"


def reports(rec: Recorder) -> list[str]:
    return [c.status for c in rec.of(ReportDevice)]


def test_unplug_and_replug_under_a_new_name_reopens_and_redraws(tmp_path: Path) -> None:
    by_id = tmp_path / "serial" / "by-id"
    by_id.mkdir(parents=True)
    link = by_id / "usb-1a86_USB_Serial-if00-port0"
    first, second, third = Pty(), Pty(), Pty()  # all alive at once: three distinct names
    assert len({first.name, second.name, third.name}) == 3
    link.symlink_to(first.name)
    rec = Recorder()
    spec = parse([{"url": str(link), "protocol": "cd5220", "counters": [3], "flash": 0,
                   "reconnect_s": 0.05}])[0]
    d = build_one(spec, rec)
    try:
        assert first.read(len(HELLO) + 48) == HELLO + cd(b"Welcome")
        d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
        assert first.read(48) == cd(b"A012 to counter 3")

        # unplug: the tty vanishes and udev removes the by-id link
        first.unplug()
        link.unlink()
        assert wait_for(lambda: reports(rec) == ["ok", "offline"])
        # the kiosk carries on while the display is away; handle() never raises
        d.handle(event("called", "A013", 3), status((3, "open", "A013", None)))

        # replug: the adapter comes back as another tty, the by-id link points to it
        link.symlink_to(second.name)
        want = HELLO + cd(b"A013 to counter 3")  # the current screen, not the stale one
        assert second.read(len(want)) == want
        assert wait_for(lambda: reports(rec) == ["ok", "offline", "ok"])

        # a quick replug between two checks: the link moves while the old tty still
        # exists; the watchdog sees it points elsewhere and follows it
        link.unlink()
        link.symlink_to(third.name)
        assert third.read(len(want)) == want
        d.handle(event("recalled", "A013", 3), status((3, "open", "A013", None)))
        assert third.read(48) == cd(b"A013 to counter 3")
        assert second.read_quiet(0.2) == b""
    finally:
        d.close()
        for p in (first, second, third):
            p.unplug()


def test_a_display_absent_at_start_is_reported_and_drawn_when_it_appears(
        tmp_path: Path) -> None:
    link = tmp_path / "usb-display"
    rec = Recorder()
    spec = parse([{"url": str(link), "protocol": "linetext", "counters": [1],
                   "reconnect_s": 0.05, "idle_text": "欢迎光临"}])[0]
    d = build_one(spec, rec)
    pty = Pty()
    try:
        assert wait_for(lambda: reports(rec) == ["offline"])
        d.handle(event("called", "A001", 1), status((1, "open", "A001", None)))
        link.symlink_to(pty.name)
        want = "请A001号到1号窗口".encode("gb2312") + b"\r\n"
        assert pty.read(len(want)) == want
        assert wait_for(lambda: reports(rec) == ["offline", "ok"])
    finally:
        d.close()
        pty.unplug()


def test_glob_urls_find_the_adapter(tmp_path: Path) -> None:
    pty = Pty()
    (tmp_path / "usb-FTDI_FT232R_A50285BI-if00-port0").symlink_to(pty.name)
    spec = parse([{"url": str(tmp_path / "usb-FTDI_*-port0"), "protocol": "linetext",
                   "language": "en", "encoding": "ascii", "idle_text": "hi"}])[0]
    d = build_one(spec, Recorder())
    try:
        assert pty.read(4) == b"hi\r\n"
    finally:
        d.close()
        pty.unplug()


def test_no_section_gives_a_simulated_hall_display_on_loop() -> None:
    rec = Recorder()
    displays = driver_parts(display, make_config(), rec, "displays").subscribers
    try:
        assert [d.name for d in displays] == ["display:hall"]
        assert displays[0].port.url == "loop://"
        assert wait_for(lambda: reports(rec) == ["ok"])
        displays[0].handle(event("called", "A001", 1), status((1, "open", "A001", None)))
        assert displays[0].screen.lines == ("A001 to counter 1",)  # the on-screen mirror
    finally:
        for d in displays:
            d.close()


@pytest.mark.parametrize(("raw", "key"), [
    ({"displays": "x"}, "displays"),
    ([{"protocol": "cd5220"}], "displays[0].url"),
    ([{"url": "loop://", "protocol": "vfd9000"}], "displays[0].protocol"),
    ([{"url": "loop://", "protocol": "cd5220", "address": 3}], "displays[0].address"),
    ([{"url": "loop://", "protocol": "linetext", "address": 300}], "displays[0].address"),
    ([{"url": "loop://", "protocol": "linetext", "encoding": "big5"}],
     "displays[0].encoding"),
    ([{"url": "loop://", "protocol": "cd5220", "language": "zh", "encoding": "ascii"}],
     "displays[0].encoding"),
    ([{"url": "loop://", "protocol": "linetext", "checksum": "crc"}],
     "displays[0].checksum"),
    ([{"url": "loop://", "protocol": "linetext", "prefix": "zz"}], "displays[0].prefix"),
    ([{"url": "loop://", "protocol": "linetext", "counters": [True]}],
     "displays[0].counters"),
    ([{"url": "loop://", "protocol": "cd5220", "baudrate": 5}], "displays[0].baudrate"),
    ([{"url": "loop://", "protocol": "cd5220", "colour": "red"}], "displays[0].colour"),
    ([{"url": "loop://", "protocol": "cd5220"}, {"url": "loop://", "protocol": "cd5220",
                                                 "name": "display0"}], "displays[1].name"),
])
def test_config_errors_name_the_key(raw: object, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate(raw["displays"] if isinstance(raw, dict) else raw)
    assert err.value.key == key


def test_unknown_counter_is_refused_at_load() -> None:
    # refused when the config loads, so check-config refuses it too, not only run
    with pytest.raises(ConfigError) as err:
        make_config(displays=[{"url": "loop://", "protocol": "cd5220", "counters": [9]}])
    assert err.value.key == "displays[0].counters[0]"
