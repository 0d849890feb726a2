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

ESC = b"\x1b"
CLEAR, HOME, CR = b"\x0c", b"\x0b", b"\r"


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
        """Timed steps sent ``flash_ms`` apart after ``draw`` (a flash), maybe none."""

    def restore(self) -> bytes:
        """Undo a flash cut short by the next screen."""


class Cd5220:
    """CD5220: ``ESC @`` init, ``0C`` clear, ``0B`` home, ``ESC DC1`` overwrite mode,
    ``ESC Q A``/``ESC Q B`` + 20 chars + CR per line, ``ESC * n`` brightness 1-4.

    The unit has no portable blink command, so a call "flashes" by dimming and
    restoring the brightness ``flash`` times.
    """

    lines, columns = 2, 20

    def __init__(self, spec: DisplaySpec) -> None:
        self.encoding = spec.encoding
        self.flash = spec.flash
        self.bright = ESC + b"*" + bytes([spec.brightness])

    def hello(self) -> bytes:
        return ESC + b"@" + CLEAR + HOME + ESC + b"\x11" + self.bright

    def draw(self, screen: Screen) -> bytes:
        out = b""
        for row, text in zip((b"A", b"B"), (*screen.lines, "", "")[:2], strict=True):
            out += ESC + b"Q" + row + fit(text, self.columns, self.encoding, True) + CR
        return out

    def after(self, screen: Screen) -> list[bytes]:
        if not screen.flash:
            return []
        return [ESC + b"*\x01", self.bright] * self.flash

    def restore(self) -> bytes:
        return self.bright


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
