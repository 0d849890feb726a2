"""Exact bytes on the wire for each display protocol: call, recall, pause with redirect,
idle. The display opens the slave end of a real pty (or ``loop://``) through pyserial,
exactly as in production; the test reads the other end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import serial

from drivers.display import build_one, parse
from drivers.display.subscriber import SerialDisplay
from kiosk.commands import ReportDevice
from tests.hw_fakes import Pty, Recorder, event, status

HELLO = b"\x1b@" + b"\x0c" + b"\x0b" + b"\x1b\x11" + b"\x1b*\x04"  # init, clear, home,
# overwrite mode, full brightness


def expect(pty: Pty, want: bytes) -> None:
    """Exactly ``want`` arrives at the far end of the cable."""
    assert pty.read(len(want)) == want


def cd(upper: bytes, lower: bytes = b"") -> bytes:
    return b"\x1bQA" + upper.ljust(20) + b"\r" + b"\x1bQB" + lower.ljust(20) + b"\r"


@pytest.fixture
def pty() -> Iterator[Pty]:
    p = Pty()
    yield p
    p.unplug()


@pytest.fixture
def open_display(pty: Pty) -> Iterator[Any]:
    made: list[SerialDisplay] = []

    def make(**options: Any) -> tuple[SerialDisplay, Recorder]:
        rec = Recorder()
        spec = parse([{"url": pty.name, "flash": 0, **options}])[0]
        d = build_one(spec, rec)
        made.append(d)
        assert d.wait_ready()
        return d, rec

    yield make
    for d in made:
        d.close()


def test_cd5220_counter_display_call_recall_pause_idle(pty: Pty, open_display: Any) -> None:
    d, rec = open_display(protocol="cd5220", counters=[3], idle_text="Please take a number")
    expect(pty, HELLO + cd(b"Please take a number"))
    assert rec.of(ReportDevice) == [ReportDevice("display:display0", "ok", "")]

    serving = status((3, "open", "A012", None))
    d.handle(event("called", "A012", 3), serving)
    expect(pty, cd(b"A012 to counter 3"))

    d.handle(event("recalled", "A012", 3), serving)  # same screen, drawn again to draw eyes
    expect(pty, cd(b"A012 to counter 3"))

    d.handle(event("finished", "A012", 3), status((3, "open", None, None)))
    expect(pty, cd(b"Please take a number"))

    # 22 characters would not fit 20 columns: the catalogue's short redirect is used
    d.handle(event("paused", None, 3, redirect=2),
             status((3, "paused", None, 2), (2, "open", None, None)))
    expect(pty, cd(b"Service paused", b"Counter 2, please"))

    d.handle(event("resumed", None, 3), status((3, "open", None, None)))
    expect(pty, cd(b"Please take a number"))
    assert pty.read_quiet(0.2) == b""  # nothing more than the screens above


def test_cd5220_ignores_other_counters_and_unchanged_screens(pty: Pty,
                                                              open_display: Any) -> None:
    d, _ = open_display(protocol="cd5220", counters=[3])
    expect(pty, HELLO + cd(b"Welcome"))
    d.handle(event("called", "B001", 1), status((1, "open", "B001", None),
                                                (3, "open", None, None)))
    d.handle(event("issued", "A013"), status((3, "open", None, None)))
    assert pty.read_quiet(0.2) == b""


def test_cd5220_chinese_unit_in_gb18030(pty: Pty, open_display: Any) -> None:
    d, _ = open_display(protocol="cd5220", counters=[3], language="zh", encoding="gb18030")
    expect(pty, HELLO + cd("欢迎光临".encode("gb18030")))
    d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
    expect(pty, cd("请A012号到3号窗口".encode("gb18030")))
    d.handle(event("paused", None, 3, redirect=2), status((3, "paused", None, 2)))
    expect(pty, cd("暂停服务".encode("gb18030"), "请到2号窗口".encode("gb18030")))


def test_cd5220_flashes_by_dimming_after_a_call(pty: Pty, open_display: Any) -> None:
    d, _ = open_display(protocol="cd5220", counters=[3], flash=2, flash_ms=20)
    expect(pty, HELLO + cd(b"Welcome"))
    d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
    dim, bright = b"\x1b*\x01", b"\x1b*\x04"
    expect(pty, cd(b"A012 to counter 3") + (dim + bright) * 2)


def test_cd5220_hall_shows_latest_calls_and_pause_notice(pty: Pty, open_display: Any) -> None:
    d, _ = open_display(protocol="cd5220", counters="all")
    expect(pty, HELLO + cd(b"Welcome"))
    d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
    expect(pty, cd(b"A012 to counter 3"))
    both = status((3, "open", "A012", None), (1, "open", "B001", None))
    d.handle(event("called", "B001", 1), both)
    expect(pty, cd(b"B001 to counter 1", b"A012 -> 3"))
    d.handle(event("paused", None, 2, redirect=1), both)
    expect(pty, cd(b"Counter 2 paused", b"Counter 1, please"))
    d.handle(event("finished", "B001", 1), status((3, "open", "A012", None),
                                                   (1, "open", None, None)))
    assert pty.read_quiet(0.2) == b""  # the notice stays until something new happens
    d.handle(event("resumed", None, 2), status((3, "open", "A012", None)))
    expect(pty, cd(b"A012 to counter 3"))


def test_hall_goes_straight_from_one_call_to_the_next(pty: Pty, open_display: Any) -> None:
    d, _ = open_display(protocol="cd5220", counters="all")
    expect(pty, HELLO + cd(b"Welcome"))
    d.handle(event("called", "A001", 1), status((1, "open", "A001", None)))
    expect(pty, cd(b"A001 to counter 1"))
    # "call next" commits finished A001 + called A002; both arrive with the same snapshot
    after = status((1, "open", "A002", None))
    d.handle(event("finished", "A001", 1), after)
    d.handle(event("called", "A002", 1), after)
    expect(pty, cd(b"A002 to counter 1"))  # no idle screen in between
    assert pty.read_quiet(0.2) == b""


def lt(text: str, address: bytes = b"\x05") -> bytes:
    return address + text.encode("gb2312") + b"\r\n"


def test_linetext_board_call_recall_pause_idle(pty: Pty, open_display: Any) -> None:
    d, _ = open_display(protocol="linetext", counters=[3], address=5, columns=24)
    expect(pty, lt("欢迎光临"))  # no init sequence, just a frame
    serving = status((3, "open", "A012", None))
    d.handle(event("called", "A012", 3), serving)
    expect(pty, lt("请A012号到3号窗口"))
    d.handle(event("recalled", "A012", 3), serving)
    expect(pty, lt("请A012号到3号窗口"))
    d.handle(event("paused", None, 3, redirect=2), status((3, "paused", None, 2)))
    expect(pty, lt("暂停服务 请到2号窗口"))
    d.handle(event("resumed", None, 3), status((3, "open", None, None)))
    expect(pty, lt("欢迎光临"))
    assert pty.read_quiet(0.2) == b""


def test_linetext_two_lines_prefix_blink_and_checksums(pty: Pty, open_display: Any) -> None:
    d, _ = open_display(protocol="linetext", counters=[3], lines=2, columns=16,
                        address=0x12, prefix="02", blink_code="1B 42", checksum="xor8",
                        line_terminator="\x03", encoding="gb18030", idle_text="")
    body = b"\x12"  # the idle text is empty: address only, then two empty lines
    expect(pty, (b"\x02" + body + bytes([0x12]) + b"\x03") * 2)
    d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
    # the long form needs 17 columns, so the board gets its short form
    body1 = b"\x12\x1bB" + "A012→3号窗口".encode("gb18030")
    body2 = b"\x12\x1bB"
    xor = [0, 0]
    for i, b in enumerate((body1, body2)):
        for byte in b:
            xor[i] ^= byte
    want = b"\x02" + body1 + bytes([xor[0]]) + b"\x03" + b"\x02" + body2 + bytes([xor[1]]) \
        + b"\x03"
    expect(pty, want)


def test_linetext_sum8_checksum(pty: Pty, open_display: Any) -> None:
    open_display(protocol="linetext", counters=[3], checksum="sum8", idle_text="OK",
                 encoding="gb2312")
    expect(pty, b"OK" + bytes([(ord("O") + ord("K")) & 0xFF]) + b"\r\n")


def test_loop_url_carries_the_same_bytes() -> None:
    rec = Recorder()
    spec = parse([{"url": "loop://", "protocol": "linetext", "counters": [3],
                   "idle_text": "Welcome", "language": "en", "encoding": "ascii"}])[0]
    d = build_one(spec, rec)
    try:
        assert d.wait_ready()
        d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
        ser = d.port.serial
        assert isinstance(ser, serial.SerialBase)
        want = b"Welcome\r\n" + b"A012 to counter 3\r\n"
        got = b""
        for _ in range(100):
            got += ser.read(64)
            if len(got) >= len(want):
                break
            d._stop.wait(0.01)
        assert got == want
    finally:
        d.close()
