"""How long a ticket takes on the link to the printer, and what to change when too long.

A thermal printer prints a 150 mm ticket in about 0.6 s, but the ticket first has to
cross the link. Over USB or TCP that is milliseconds; over a serial line it is the job's
size x 10 bits (8N1: start, 8 data, stop) / the baud rate, and an image-mode ticket at
19200 baud takes tens of seconds while the customer stands at the kiosk.

The bytes are not a table kept here: one sample ticket is rendered with the configured
settings by the real :class:`~drivers.printer.job.Renderer`, so the estimate follows any
change to the renderer. Nothing is opened: the printer itself is not touched.

>>> from drivers.printer import settings
>>> estimate(settings.parse({"url": "tcp://10.0.0.5:9100"}), None) is None  # fast link
True
>>> link_of(settings.parse({"url": "serial:///dev/ttyS0?baudrate=19200"})).seconds(1920)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from kiosk import messages
from kiosk.events import ISSUED, Event

if TYPE_CHECKING:
    from drivers.printer.settings import PrinterSettings
    from drivers.printer.ticket import BranchInfo, Ticket

LIMIT_S = 1.5  # a customer waits about this long for the paper, and no longer
BITS_PER_BYTE = 10  # 8N1
DEFAULT_BAUD = 9600  # python-escpos's Serial default, and what backends.open_backend uses
# the rates receipt printers offer on their DIP switches, slowest first
STANDARD_BAUDS = (9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True, slots=True)
class Link:
    """The link named by the printer URL: a serial line has a baud rate; every other link
    (USB, TCP, file, dummy, preview) is taken as fast, ``baud=None``."""

    scheme: str
    baud: int | None = None

    def seconds(self, size: int) -> float:
        """Time on the wire for ``size`` bytes (0 on a fast link)."""
        return size * BITS_PER_BYTE / self.baud if self.baud else 0.0

    def __str__(self) -> str:
        return f"{self.scheme} {self.baud} baud" if self.baud else self.scheme


@dataclass(frozen=True, slots=True)
class WireEstimate:
    """One sample ticket's bytes with the configured settings, and its time on ``link``."""

    bytes: int
    seconds: float
    link: Link
    mode: str


def link_of(settings: PrinterSettings) -> Link:
    ep = settings.endpoint
    if ep.scheme == "serial":
        return Link("serial", int(ep.options.get("baudrate", DEFAULT_BAUD)))
    return Link(ep.scheme)


def sample_ticket(branch: BranchInfo | None, qr: str | None) -> Ticket:
    """A typical ticket: the service with the most documents to bring (the longest
    ordinary ticket), a three-digit number, a queue ahead and a wait; no priority banner
    and no reprint mark. ``None`` for ``branch``: the built-in demo branch."""
    from drivers.printer import ticket as tk

    if branch is None:
        from kiosk import config

        branch = config.load()
    prefix = max(branch.services, key=lambda p: len(branch.services[p].documents))
    ts = "2026-01-05T09:41:00+08:00"
    event = Event(ISSUED, ts, ts[:10], ticket=f"{prefix}123", service=prefix,
                  data={"number": 123, "ahead": 12, "wait_minutes": 36})
    return tk.from_event(event, branch, qr)


def ticket_bytes(settings: PrinterSettings, branch: BranchInfo | None) -> int:
    """Bytes of one sample ticket as the printer thread would send it (cut included)."""
    from drivers.printer.job import Renderer

    return len(Renderer(settings).render(sample_ticket(branch, settings.qr)).data)


def estimate(settings: PrinterSettings, branch: BranchInfo | None) -> WireEstimate | None:
    """The wire time of one ticket; ``None`` on a fast link, where nothing is rendered
    (so a USB or network kiosk pays nothing for the check)."""
    link = link_of(settings)
    if link.baud is None:
        return None
    size = ticket_bytes(settings, branch)
    return WireEstimate(size, link.seconds(size), link, settings.chinese_mode)


def _faster_baud(size: int, baud: int) -> int | None:
    """The slowest standard rate above ``baud`` that carries ``size`` bytes in time."""
    for rate in STANDARD_BAUDS:
        if rate > baud and Link("serial", rate).seconds(size) <= LIMIT_S:
            return rate
    return None


def advice(settings: PrinterSettings, branch: BranchInfo | None,
           est: WireEstimate | None = None) -> messages.Bilingual | None:
    """The warning for a ticket slower than :data:`LIMIT_S` on the wire, with the seconds
    and the fixes; ``None`` when the ticket is fast enough (or the link is fast)."""
    est = est if est is not None else estimate(settings, branch)
    if est is None or est.seconds <= LIMIT_S:
        return None
    baud = est.link.baud or DEFAULT_BAUD
    fixes: list[messages.Bilingual] = []
    if est.mode == "image":
        # the text mode's size, measured the same way; rendering it costs milliseconds
        text = msgspec.structs.replace(settings, chinese_mode="gb18030")
        text_s = est.link.seconds(ticket_bytes(text, branch))
        fixes.append(messages.text("printer_wire_fix_gb18030", seconds=fmt_seconds(text_s)))
    rate = _faster_baud(est.bytes, baud)
    if rate is not None:
        fixes.append(messages.text("printer_wire_fix_baud", baud=rate,
                                   seconds=fmt_seconds(Link("serial", rate).seconds(est.bytes))))
    else:
        fixes.append(messages.text("printer_wire_fix_link"))
    joined = messages.Bilingual("；或".join(f.zh for f in fixes),
                                "; or ".join(f.en for f in fixes))
    return messages.text("printer_wire_slow", mode=est.mode, link=str(est.link),
                         bytes=f"{est.bytes:,}", seconds=fmt_seconds(est.seconds),
                         limit=fmt_seconds(LIMIT_S), fix_zh=joined.zh, fix_en=joined.en)


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"


USB_BYTES_PER_S = 1_000_000  # USB full speed, bulk transfers: ~1 MB/s in practice


def table(branch: BranchInfo | None = None) -> str:
    """The docs' table (docs/printer.md) as Markdown, measured now with the renderer:
    ``python -m drivers.printer.wire`` reprints it after a change to the tickets."""
    rows = ["| ticket | bytes | 9600 baud | 19200 baud | 115200 baud | USB |",
            "|---|---|---|---|---|---|"]
    from drivers.printer import settings as settings_mod

    for mode in ("image", "gb18030"):
        for width in (58, 80):
            s = settings_mod.parse({"url": "serial:///dev/ttyS0", "chinese_mode": mode,
                                    "paper_width_mm": width})
            size = ticket_bytes(s, branch)
            cells = [f"{fmt_seconds(Link('serial', b).seconds(size))} s" for b in (9600, 19200,
                                                                                   115200)]
            usb = f"~{size / USB_BYTES_PER_S:.3f} s"
            rows.append(f"| {mode} mode, {width} mm | {size:,} | {' | '.join(cells)} | {usb} |")
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    sys.stdout.write(table() + "\n")
