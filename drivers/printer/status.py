"""Real-time printer status: ``DLE EOT n`` replies decoded to a kiosk device status.

Bits, per the ESC/POS reference (every reply also has bit 1 and bit 4 set and bits 0
and 7 clear; anything else is not a status byte):

* n=1 printer: bit 3 offline
* n=2 offline cause: bit 2 cover open, bit 5 stopped by paper end, bit 6 error
* n=3 error cause: bit 3 cutter, bit 5 unrecoverable, bit 6 auto-recoverable
* n=4 roll paper: bits 2+3 near end, bits 5+6 paper end

python-escpos has ``is_online()`` and ``paper_status()`` but no cover-open helper, so we
send the four queries ourselves through its ``query_status`` (its ``_raw`` + ``_read``).
Only call :func:`query` between jobs: mid-job, the query bytes could be taken as the
parameters of a command still being received.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
PRINTABLE = ("ok", "paper_low")


@dataclass(frozen=True, slots=True)
class Reading:
    status: str  # ok, paper_low, paper_out, cover_open, offline, error
    detail: str = ""

    @property
    def printable(self) -> bool:
        return self.status in PRINTABLE


def is_status_byte(b: int) -> bool:
    return b & 0b1001_0011 == 0b0001_0010


def decode(replies: dict[int, int]) -> Reading:
    """Map replies to n=1..4 (missing ones are treated as all clear) to a reading."""
    printer, cause, error, paper = (replies.get(n, 0x12) for n in (1, 2, 3, 4))
    if cause & 0x04:
        return Reading("cover_open", "cover open (DLE EOT 2 bit 2)")
    if paper & 0x60 or cause & 0x20:
        return Reading("paper_out", "paper end (DLE EOT 4 bits 5-6)")
    if error & 0x08:
        return Reading("error", "cutter error (DLE EOT 3 bit 3)")
    if error & 0x20:
        return Reading("error", "unrecoverable error (DLE EOT 3 bit 5)")
    if error & 0x40 or cause & 0x40:
        return Reading("error", "auto-recoverable error, e.g. head too hot (DLE EOT 3 bit 6)")
    if printer & 0x08:
        return Reading("offline", "printer reports offline (DLE EOT 1 bit 3)")
    if paper & 0x0C:
        return Reading("paper_low", "paper near end (DLE EOT 4 bits 2-3)")
    return Reading("ok")


def query(printer: Any) -> Reading | None:
    """Ask an open python-escpos printer; ``None`` means it cannot answer status.

    ``File`` (write-only) and ``Dummy`` cannot; a plain ``Dummy`` that echoes the last
    byte written gives non-status bytes, which :func:`is_status_byte` rejects. A timeout
    or a closed connection raises ``OSError`` for the caller to treat as offline.
    """
    replies: dict[int, int] = {}
    for n in (1, 2, 3, 4):
        try:
            raw = printer.query_status(DLE_EOT + bytes([n]))
        except NotImplementedError:
            return None
        if not raw:
            raise ConnectionError(f"no answer to DLE EOT {n} (connection closed?)")
        byte = raw[-1]  # a printer with auto status back may prepend older bytes
        if not is_status_byte(byte):
            log.debug("DLE EOT %d answered %r, not a status byte", n, bytes(raw))
            return None
        replies[n] = byte
    return decode(replies)
