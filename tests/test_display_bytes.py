"""Exact bytes on the wire for each display protocol: call, recall, pause with redirect,
idle. The display opens the slave end of a real pty (or ``loop://``) through pyserial,
exactly as in production; the test reads the other end.

CD5220 streams are also walked by :func:`violations`, which reads them the way the
unit's firmware would under the manual's "CD5220 standard mode command list": while
``ESC Q A`` / ``ESC Q B`` (string display on the upper / lower line) are in use, no other
command may be used until ``CLR`` (0C) or ``CAN`` (18) changes the mode; the two line
writes go together (the manual writes both lines in a row)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import serial

from drivers.display import build_one, parse
from drivers.display.subscriber import SerialDisplay
from kiosk.commands import ReportDevice
from tests.hw_fakes import Pty, Recorder, event, status
from tests.support import wait_for

HELLO = b"\x1b@" + b"\x0c" + b"\x0b" + b"\x1b\x11" + b"\x1b*\x04"  # init, clear, home,
# overwrite mode, full brightness


def expect(pty: Pty, want: bytes) -> None:
    """Exactly ``want`` arrives at the far end of the cable."""
    assert pty.read(len(want)) == want


def cd(upper: bytes, lower: bytes = b"") -> bytes:
    return b"\x1bQA" + upper.ljust(20) + b"\r" + b"\x1bQB" + lower.ljust(20) + b"\r"


ESC, US = 0x1B, 0x1F
CLR, CAN, CR = 0x0C, 0x18, 0x0D
SINGLE = {0x08: "BS", 0x09: "HT", 0x0A: "LF", 0x0B: "HOM", CLR: "CLR", CR: "CR",
          CAN: "CAN"}
# ESC x: total length of the command (the table's parameter counts)
ESC_LEN = {0x11: 2, 0x12: 2, 0x13: 2, ord("@"): 2, ord("*"): 3, ord("_"): 3, ord("f"): 3,
           ord("c"): 3, ord("="): 3, ord("%"): 3, ord("?"): 3, ord("l"): 4, ord("W"): 6}
US_LEN = {0x01: 2, 0x02: 2, 0x03: 2, 0x0A: 2, 0x0D: 2, ord("B"): 2, ord("@"): 2,
          ord("E"): 3}


def violations(data: bytes) -> list[str]:
    """Every breach of the manual's rules in ``data``, read from a display in normal mode.

    Also reports what the table does not define, and line writes that are not exactly
    20 bytes followed by CR (``ESC Q A [n]x20 CR``).
    """
    found: list[str] = []
    mode = "normal"
    i = 0
    while i < len(data):
        b = data[i]
        if b == ESC and data[i + 1:i + 2] == b"Q" and data[i + 2:i + 3] in (b"A", b"B"):
            end = data.find(b"\r", i + 3)
            if end < 0 or end - (i + 3) != 20:
                found.append(f"@{i}: ESC Q {chr(data[i + 2])} text is not 20 bytes + CR")
                end = len(data) - 1 if end < 0 else end
            mode = "string"
            i = end + 1
            continue
        if b in (CLR, CAN):
            mode = "normal"
            i += 1
            continue
        if b in SINGLE:
            name, size = SINGLE[b], 1
        elif b == ESC and i + 1 < len(data) and data[i + 1] in ESC_LEN:
            name, size = f"ESC {chr(data[i + 1])!r}", ESC_LEN[data[i + 1]]
        elif b == US and i + 1 < len(data) and data[i + 1] in US_LEN:
            name, size = f"US {chr(data[i + 1])!r}", US_LEN[data[i + 1]]
        elif b in (ESC, US):
            found.append(f"@{i}: {data[i:i + 2].hex(' ')} is not in the command table")
            name, size = "?", 2
        else:
            name, size = "text", 1
        if mode == "string":
            found.append(f"@{i}: {name} sent in string mode (after ESC Q A/B, before "
                         "CLR/CAN)")
        i += size
    return found


def test_the_checker_catches_a_command_in_string_mode() -> None:
    line = b"\x1bQA" + b"A012".ljust(20) + b"\r" + b"\x1bQB" + b" " * 20 + b"\r"
    assert violations(b"\x1b@\x0c" + line + line) == []  # line writes go together
    assert violations(line + b"\x0c\x1b*\x01" + line) == []  # CLR first: allowed
    assert violations(line + b"\x18\x1f\x45\x03" + line) == []  # CAN first: allowed
    bad = violations(line + b"\x1b*\x01")
    assert len(bad) == 1 and "ESC '*'" in bad[0]
    assert violations(line + b"\x1f\x45\x00")  # a blink command is a command too
    assert violations(line + b"x")  # and so is loose text
    assert violations(b"\x1bQA" + b"short\r")  # a line is exactly 20 bytes


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
    # the report follows the first screen on the display's own thread: wait for it
    wait_for(lambda: rec.of(ReportDevice))
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


@pytest.mark.parametrize("style", ["brightness", "blink"])
def test_calls_and_flashes_keep_the_string_mode_rule(pty: Pty, open_display: Any,
                                                     style: str) -> None:
    """Whatever the interleaving of flash steps and new screens, no command but CLR/CAN
    ever follows a line write."""
    d, _ = open_display(protocol="cd5220", counters=[3], flash=2, flash_ms=10,
                        flash_style=style)
    for n in range(12):
        d.handle(event("called", f"A{n:03d}", 3), status((3, "open", f"A{n:03d}", None)))
        time.sleep((n % 4) * 0.012)  # new screens before, during and after a flash
    d.handle(event("finished", "A011", 3), status((3, "open", None, None)))
    data = pty.read_quiet(0.5)
    assert data.startswith(HELLO)
    assert data.count(b"\x1bQA") >= 13
    assert violations(data) == []


def test_brightness_flash_leaves_string_mode_first(pty: Pty, open_display: Any) -> None:
    d, _ = open_display(protocol="cd5220", counters=[3], flash=2, flash_ms=20)
    assert pty.read(len(HELLO) + 48) == HELLO + cd(b"Welcome")
    d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
    call = cd(b"A012 to counter 3")
    dim, bright = b"\x0c\x1b*\x01" + call, b"\x0c\x1b*\x04" + call
    want = call + (dim + bright) * 2
    assert pty.read(len(want)) == want
    assert pty.read_quiet(0.2) == b""


def test_a_flash_cut_short_is_undone_by_clr_then_brightness(pty: Pty,
                                                            open_display: Any) -> None:
    d, _ = open_display(protocol="cd5220", counters=[3], flash=2, flash_ms=1000)
    assert pty.read(len(HELLO) + 48) == HELLO + cd(b"Welcome")
    d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
    call = cd(b"A012 to counter 3")
    dim = b"\x0c\x1b*\x01" + call
    assert pty.read(len(call + dim)) == call + dim  # the first step: dimmed
    d.handle(event("called", "A013", 3), status((3, "open", "A013", None)))
    nxt = cd(b"A013 to counter 3")
    want = b"\x0c\x1b*\x04" + nxt  # back to full brightness, out of string mode first
    assert pty.read(len(want)) == want


def test_blink_variant_uses_us_e_between_clr_and_the_lines(pty: Pty,
                                                          open_display: Any) -> None:
    """``flash_style = "blink"``: the variant's ``US E n`` (n x 50 ms on/off) for
    ``flash`` blinks of ``flash_ms``, then ``US E 0``; the display is never dimmed."""
    d, _ = open_display(protocol="cd5220", counters=[3], flash=2, flash_ms=100,
                        flash_style="blink")
    hello = HELLO + b"\x1fE\x00"  # a blink left over from before a replug stops
    assert pty.read(len(hello) + 48) == hello + cd(b"Welcome")
    d.handle(event("called", "A012", 3), status((3, "open", "A012", None)))
    call = cd(b"A012 to counter 3")
    want = call + b"\x0c\x1fE\x02" + call + b"\x0c\x1fE\x00" + call
    assert pty.read(len(want)) == want
    assert pty.read_quiet(0.2) == b""


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


@pytest.mark.parametrize("counters", ["all", [1]], ids=["hall", "counter"])
def test_call_next_goes_straight_to_the_next_call_drawn_once(pty: Pty, open_display: Any,
                                                            counters: Any) -> None:
    # "call next" commits finished A001 + called A002; both arrive with the same snapshot.
    # No idle screen in between, and the new call drawn once: drawing it on "finished" and
    # again on "called" sent it twice down a 9600-baud line.
    d, _ = open_display(protocol="cd5220", counters=counters)  # flash off (the fixture)
    expect(pty, HELLO + cd(b"Welcome"))
    d.handle(event("called", "A001", 1), status((1, "open", "A001", None)))
    expect(pty, cd(b"A001 to counter 1"))
    after = status((1, "open", "A002", None))
    d.handle(event("finished", "A001", 1), after)
    d.handle(event("called", "A002", 1), after)
    expect(pty, cd(b"A002 to counter 1"))
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
