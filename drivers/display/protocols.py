"""Display protocols: they turn a :class:`Screen` into bytes and know nothing of ports.

Like python-escpos's split between ``Escpos`` and its backends: a protocol builds
frames, :mod:`drivers.display.port` moves them. Two protocols:

* :class:`Cd5220` - the 2x20 customer display command set (VFDs and LCDs sold as
  "CD5220" / ESC/POS-display compatible).
* :class:`LineText` - LED number boards that take a line of text per frame, with an
  optional RS-485 address byte, a prefix, a checksum and a line terminator, all as data
  because every vendor differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from drivers.display.spec import DisplaySpec

ESC, US = b"\x1b", b"\x1f"
CLEAR, HOME, CR = b"\x0c", b"\x0b", b"\r"
BLINK_OFF = US + b"E\x00"  # US E 0: stop blinking, display steady


@dataclass(frozen=True, slots=True)
class Screen:
    """What a display shows: one text per physical line, plus "draw attention"."""

    lines: tuple[str, ...]
    flash: bool = False


def fit(text: str, width: int, encoding: str, pad: bool) -> bytes:
    """Encode ``text`` into at most ``width`` bytes without splitting a character.

    In GB2312/GB18030 a Chinese character is two bytes and two columns wide, so bytes
    are the column count the board sees. Unencodable characters become ``?``.
    """
    out = b""
    for ch in text:
        b = ch.encode(encoding, "replace")
        if len(out) + len(b) > width:
            break
        out += b
    return out.ljust(width, b" ") if pad else out


class DisplayProtocol(Protocol):
    lines: int
    columns: int
    encoding: str

    def hello(self) -> bytes:
        """Sent after every (re)open, before the screen is redrawn."""

    def draw(self, screen: Screen) -> bytes:
        """The bytes that put ``screen`` on the display."""

    def after(self, screen: Screen) -> list[bytes]:
        """Timed steps sent ``flash_ms`` apart after ``draw`` (a flash), maybe none; an
        empty step only waits."""

    def restore(self) -> bytes:
        """Undo a flash cut short by the next screen."""


class Cd5220:
    """CD5220 standard mode: ``ESC @`` init, ``0C`` clear, ``0B`` home, ``ESC DC1``
    overwrite mode, ``ESC Q A``/``ESC Q B`` + 20 chars + CR per line, ``ESC * n``
    brightness 1-4, and on some variants ``US E n`` to blink.

    The manual's rule: after ``ESC Q A``/``ESC Q B`` the unit is in string mode and takes
    no command but the two line writes until ``CLR`` (0C) or ``CAN`` (18) ends the mode.
    So every flash step starts with ``CLR`` (it blanks the screen, which is why the
    lines are written again after the step's command), and so does ``restore``.

    A call "flashes" either by dimming and restoring the brightness ``flash`` times
    (``flash_style = "brightness"``, in every CD5220 table), or with the variant's blink
    command (``"blink"``): ``US E n`` blinks ``n`` x 50 ms on and off, ``US E 0`` stops.
    """

    lines, columns = 2, 20

    def __init__(self, spec: DisplaySpec) -> None:
        self.encoding = spec.encoding
        self.flash = spec.flash
        self.blink = spec.flash_style == "blink"
        self.bright = ESC + b"*" + bytes([spec.brightness])
        # the blink's half period is flash_ms, in the command's 50 ms units
        self.blink_on = US + b"E" + bytes([max(1, min(254, round(spec.flash_ms / 50)))])

    def hello(self) -> bytes:
        # ESC @ may be ignored by a unit still in string mode (a cable replug without a
        # power cut); the CLR that follows ends that mode, so the rest always applies.
        out = ESC + b"@" + CLEAR + HOME + ESC + b"\x11" + self.bright
        return out + BLINK_OFF if self.blink else out

    def draw(self, screen: Screen) -> bytes:
        out = b""
        for row, text in zip((b"A", b"B"), (*screen.lines, "", "")[:2], strict=True):
            out += ESC + b"Q" + row + fit(text, self.columns, self.encoding, True) + CR
        return out

    def after(self, screen: Screen) -> list[bytes]:
        if not screen.flash or not self.flash:
            return []
        text = self.draw(screen)
        if self.blink:
            # the unit blinks by itself; empty steps only wait, flash_ms each
            wait = [b""] * (2 * self.flash - 1)
            return [CLEAR + self.blink_on + text, *wait, CLEAR + BLINK_OFF + text]
        dim = CLEAR + ESC + b"*\x01" + text
        return [dim, CLEAR + self.bright + text] * self.flash

    def restore(self) -> bytes:
        """Leave string mode and undo a flash; the next ``draw`` follows at once."""
        return CLEAR + (BLINK_OFF if self.blink else self.bright)


class LineText:
    """One frame per line: ``prefix [address] [blink_code] text [checksum] terminator``.

    The checksum (``sum8`` or ``xor8``) covers address, blink code and text, which is
    how the common RS-485 boards define it; ``none`` leaves it out.
    """

    def __init__(self, spec: DisplaySpec) -> None:
        self.lines, self.columns, self.encoding = spec.lines, spec.columns, spec.encoding
        self.spec = spec

    def hello(self) -> bytes:
        return b""

    def frame(self, text: str, blink: bool) -> bytes:
        s = self.spec
        body = b"" if s.address is None else bytes([s.address])
        if blink:
            body += s.blink_code
        body += fit(text, self.columns, self.encoding, False)
        check = b""
        if s.checksum == "sum8":
            check = bytes([sum(body) & 0xFF])
        elif s.checksum == "xor8":
            x = 0
            for b in body:
                x ^= b
            check = bytes([x])
        return s.prefix + body + check + s.line_terminator

    def draw(self, screen: Screen) -> bytes:
        texts = list(screen.lines)
        if self.lines == 1 and len(texts) > 1:  # one row: both parts, if they both fit
            texts = [" ".join(t for t in texts if t)]
        texts = (texts + [""] * self.lines)[: self.lines]
        return b"".join(self.frame(t, screen.flash) for t in texts)

    def after(self, screen: Screen) -> list[bytes]:
        return []

    def restore(self) -> bytes:
        return b""


def for_spec(spec: DisplaySpec) -> DisplayProtocol:
    return Cd5220(spec) if spec.protocol == "cd5220" else LineText(spec)
