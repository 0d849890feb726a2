"""Real-time printer status: ``DLE EOT n`` replies decoded to a kiosk device status.

Follows Epson's ESC/POS command reference, "DLE EOT n: Transmit real-time status". Each
reply is one byte with bit 1 and bit 4 set and bits 0 and 7 clear (anything else is
not a status byte). The bits the kiosk acts on:

* n=1 printer: bit 3 offline
* n=2 offline cause: bit 2 cover open, bit 5 stopped by paper end, bit 6 error
* n=3 error cause: bit 3 cutter, bit 5 unrecoverable, bit 6 auto-recoverable
* n=4 roll paper: bits 2+3 near end, bits 5+6 paper end

python-escpos has ``is_online()`` and ``paper_status()`` but no cover-open helper, and
its ``query_status`` reads with the backend's ``_read()`` (16 bytes on serial) after
writing even to a write-only ``File``; so the queries go through a
:class:`~drivers.printer.channels.Channel`, one byte per answer with a short deadline.

The same reference says the printer answers ``DLE EOT n`` wherever the sequence appears
in the stream, even inside bit-image data. So before each query pending input is
discarded, and after a job the answers to sequences inside it are awaited and dropped
(:func:`absorb`): a late 0x16 (n=1 "ok", drawer pin high) read as the n=2 answer would
say "cover open". Only query between jobs: mid-job, the query bytes could be taken as
the parameters of a command still being received.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import NamedTuple

from drivers.printer.channels import Channel

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
REPLY_S = 1.0  # a printer answers in milliseconds; this is the most we wait per byte
PRINTABLE = ("ok", "paper_low")
_EMBEDDED = re.compile(rb"\x10\x04[\x01-\x04]")


@dataclass(frozen=True, slots=True)
class Reading:
    status: str  # ok, paper_low, paper_out, cover_open, offline, error
    detail: str = ""

    @property
    def printable(self) -> bool:
        return self.status in PRINTABLE


class Rule(NamedTuple):
    n: int  # the DLE EOT query the bits come from
    bits: tuple[int, ...]
    status: str
    text: str

    @property
    def mask(self) -> int:
        return sum(1 << b for b in self.bits)

    @property
    def label(self) -> str:
        where = (f"bit {self.bits[0]}" if len(self.bits) == 1
                 else f"bits {self.bits[0]}-{self.bits[-1]}")
        return f"{self.text} (DLE EOT {self.n} {where})"


# First match wins: what staff must fix first comes first (an open cover also stops
# the paper sensors reading true). The label always names the query the bits came from.
RULES = (
    Rule(2, (2,), "cover_open", "cover open"),
    Rule(4, (5, 6), "paper_out", "paper end"),
    Rule(2, (5,), "paper_out", "stopped by paper end"),
    Rule(3, (3,), "error", "cutter error"),
    Rule(3, (5,), "error", "unrecoverable error"),
    Rule(3, (6,), "error", "auto-recoverable error, e.g. head too hot"),
    Rule(2, (6,), "error", "error occurred"),
    Rule(1, (3,), "offline", "printer reports offline"),
    Rule(4, (2, 3), "paper_low", "paper near end"),
)


def is_status_byte(b: int) -> bool:
    return b & 0b1001_0011 == 0b0001_0010


def decode(replies: dict[int, int]) -> Reading:
    """Map replies to n=1..4 (missing ones are treated as all clear) to a reading."""
    for rule in RULES:
        if replies.get(rule.n, 0x12) & rule.mask:
            return Reading(rule.status, rule.label)
    return Reading("ok")


def embedded_queries(data: bytes) -> int:
    """How many ``DLE EOT n`` sequences a job carries (in raster data, by chance)."""
    return len(_EMBEDDED.findall(data))


def absorb(channel: Channel, count: int, timeout: float = REPLY_S) -> int:
    """Wait up to ``timeout`` for the answers to ``count`` sequences inside a job, and
    drop them. Returns how many came (a printer may not answer inside data)."""
    deadline = time.monotonic() + timeout
    got = 0
    while got < count:
        left = deadline - time.monotonic()
        if left <= 0 or channel.read_byte(left) is None:
            break
        got += 1
    if count:
        log.debug("job carried %d DLE EOT sequence(s); %d answer(s) dropped", count, got)
    return got


def query(channel: Channel, timeout: float = REPLY_S) -> Reading | None:
    """Ask the printer on ``channel``; ``None`` if what answers is not ESC/POS status.

    Raises ``TimeoutError`` when a query gets no byte within ``timeout`` and
    ``OSError`` when the connection fails: the caller reports the printer offline.
    """
    replies: dict[int, int] = {}
    for n in (1, 2, 3, 4):
        channel.discard()  # a stray or late byte must not be taken as this answer
        channel.write(DLE_EOT + bytes([n]))
        byte = channel.read_byte(timeout)
        if byte is None:
            raise TimeoutError(f"no answer to DLE EOT {n} within {timeout:g} s")
        if not is_status_byte(byte):
            log.debug("DLE EOT %d answered 0x%02x, not a status byte", n, byte)
            return None
        replies[n] = byte
    return decode(replies)
