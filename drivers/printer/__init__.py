"""Ticket printer: python-escpos printers behind one small interface, chosen by URL.

>>> parts = build(ctx)                               # doctest: +SKIP
>>> printer = parts.subscribers[0]                   # doctest: +SKIP
>>> printer.handle(issued_event, status)            # prints one ticket  # doctest: +SKIP

Settings, the ``[printer]`` table of the kiosk's TOML file (all optional; with no table
at all the kiosk writes PNG tickets to ``~/.local/state/counter-kiosk/tickets``):

``url``
    Where the printer is. ``usb://VID:PID?in_ep=0x82&out_ep=0x01&timeout=5`` (needs
    pyusb), ``serial:///dev/ttyS0?baudrate=19200&dsrdtr=false&timeout=5``,
    ``tcp://HOST:9100?timeout=5``, ``file:///dev/usb/lp0`` (kernel usblp; write only, so
    no status), ``dummy://`` (bytes kept in memory) or ``preview://DIR`` (one PNG per
    ticket plus ``DIR/latest.png``). ``?timeout=`` is the per-operation I/O timeout in
    seconds and defaults to ``timeout_s``.
``paper_width_mm``
    58 or 80 (default 80): 384 or 576 dots wide.
``chinese_mode``
    ``"image"`` (default): Chinese lines drawn with a CJK font and printed as raster
    bands cropped to their ink; the number, English lines and QR code go as printer text
    and commands (~9-11 KB a ticket); works on any printer. ``"gb18030"``: the printer's
    resident Chinese font, ~1.2 KB a ticket; only for printers whose self-test page lists
    a GB18030/GBK font.
``font``
    Path of a CJK font file. By default fontconfig finds Noto Sans CJK SC (Debian package
    fonts-noto-cjk) or another installed Chinese font.
``qr``
    Text or URL printed as a QR code at the foot of each ticket (default: none).
``timeout_s``
    The most one ticket may take, connection and status included (default 5).
``retry_initial_s`` / ``retry_max_s``
    Backoff between status probes of a faulty printer: starts at ``retry_initial_s``
    (default 1) and doubles up to ``retry_max_s`` (default 30).
``profile``
    A python-escpos printer profile name (e.g. ``"TM-T20II"``) for its cutter, image and
    QR capabilities and its dot width; default: the generic profile.
``realtime_off``
    Send ``GS ( D`` after ``ESC @`` so that raster bytes that happen to read
    ``DLE DC4 1 m t`` do not fire a drawer/buzzer pulse mid-ticket. Default: true for
    the profiles whose Epson reference lists the command (``GS_PAREN_D_PROFILES``),
    false otherwise, since a printer without it may print its bytes.
"""

from __future__ import annotations

from typing import Any

from drivers.printer.backends import open_backend
from drivers.printer.settings import PrinterSettings, parse
from drivers.printer.subscriber import PrinterSubscriber
from kiosk.ports import DriverContext, DriverParts

__all__ = ["PrinterSettings", "PrinterSubscriber", "build", "validate"]


def validate(raw: dict[str, Any]) -> None:
    """Check the ``[printer]`` table; raises ConfigError naming ``printer.<key>``."""
    parse(raw)


def build(ctx: DriverContext) -> DriverParts:
    """The printer subscriber (a PNG preview printer if no ``[printer]`` is set)."""
    settings = (ctx.settings or parse(None)).resolved(ctx.config_dir)
    printer = PrinterSubscriber(ctx, ctx.submit, settings, open_backend(settings))
    return DriverParts(subscribers=[printer])
